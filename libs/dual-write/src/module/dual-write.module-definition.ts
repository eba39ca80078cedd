import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DualWriteModuleOptions } from './dual-write.options';

export const { ConfigurableModuleClass: ConfigurableDualWriteModule, MODULE_OPTIONS_TOKEN: DUAL_WRITE_OPTIONS } =
  new ConfigurableModuleBuilder<DualWriteModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
