/** Where the alert services write their lines; a Nest `Logger` fits. */
export interface AlertLogger {
  log(message: string): void;
  warn(message: string): void;
}
