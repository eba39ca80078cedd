import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ContractViolationError } from '@dualwrite/stores';
import type { ExpressResponseLike } from './express-shapes';

/** A payload that breaks the entity's contract: 400 naming every field and what is wrong with it. */
@Catch(ContractViolationError)
export class ContractViolationFilter implements ExceptionFilter<ContractViolationError> {
  catch(error: ContractViolationError, host: ArgumentsHost): void {
    const summary = error.issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`).join('; ');
    host
      .switchToHttp()
      .getResponse<ExpressResponseLike>()
      .status(HttpStatus.BAD_REQUEST)
      .json({ statusCode: 400, error: 'Bad Request', message: `Invalid ${error.entity} body: ${summary}`, issues: error.issues });
  }
}
