import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AdminToken } from '@dualwrite/config';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminTokenVerifier } from './admin-token-verifier';

/** Registers AdminAuthGuard for the whole application; routes opt in with @AdminRole. */
@Module({})
export class AdminAuthModule {
  static forRoot(tokens: AdminToken[]): DynamicModule {
    return {
      module: AdminAuthModule,
      providers: [
        { provide: AdminTokenVerifier, useValue: new AdminTokenVerifier(tokens) },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
      ],
    };
  }
}
