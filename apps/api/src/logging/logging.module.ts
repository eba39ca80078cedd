import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { pinoHttpOptions } from './pino-http-options';

export interface ApiLoggingOptions {
  level: string;
  /** Where JSON lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

@Module({})
export class LoggingModule {
  static forRoot(options: ApiLoggingOptions): DynamicModule {
    const httpOptions = pinoHttpOptions(options.level);
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: options.destination ? [httpOptions, options.destination] : httpOptions }),
      ],
      exports: [LoggerModule],
    };
  }
}
