import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DualWriteControlOptions } from './dual-write-control.options';

export const { ConfigurableModuleClass: ConfigurableDualWriteControlModule, MODULE_OPTIONS_TOKEN: DUAL_WRITE_CONTROL_OPTIONS } =
  new ConfigurableModuleBuilder<DualWriteControlOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
