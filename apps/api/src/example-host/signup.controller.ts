import { Body, Controller, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DualWrite } from '@dualwrite/dual-write';

interface SignupBody {
  email?: unknown;
  displayName?: unknown;
}

/**
 * Host routes written the decorator way: the handler shapes the payload, `@DualWrite` writes it through the
 * current mode (the DualWriteInterceptor) and the response is the primary's row.
 */
@ApiTags('example-host')
@Controller('app')
export class SignupController {
  @Post('signup')
  @HttpCode(201)
  @ApiOperation({ summary: 'Sign a user up (decorator way in: @DualWrite create users)' })
  @DualWrite({ entity: 'users', op: 'create' })
  signup(@Body() body: SignupBody): unknown {
    return { email: typeof body.email === 'string' ? body.email.trim().toLowerCase() : body.email, displayName: body.displayName };
  }

  @Patch('budgets/:id/rename')
  @ApiOperation({ summary: 'Rename a budget (decorator way in: @DualWrite update budgets)' })
  @DualWrite({ entity: 'budgets', op: 'update' })
  rename(@Param('id') _id: string, @Body() body: { name?: unknown }): unknown {
    return { name: body.name };
  }
}
