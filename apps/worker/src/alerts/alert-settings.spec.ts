import { parseAlertSettings } from './alert-settings';

describe('alert settings', () => {
  it('default to the issue thresholds: 5 % secondary errors, 20 % p95 rise, 10 error diffs, 5 min open breaker, 10 % partial failures', () => {
    expect(parseAlertSettings({})).toEqual({
      thresholds: {
        secondaryErrorRate: 0.05,
        partialFailureRate: 0.1,
        minOpsForRates: 20,
        latencyIncrease: 0.2,
        minLatencySamples: 20,
        unresolvedErrorDiffs: 10,
        breakerOpenMs: 300_000,
      },
      windowMs: 300_000,
      latencySampleSize: 1_000,
      redisPrefix: 'dw',
    });
  });

  it('reads each threshold from its variable', () => {
    const settings = parseAlertSettings({ DW_ALERT_SECONDARY_ERROR_RATE: '0.02', DW_ALERT_BREAKER_OPEN_MS: '60000', DW_ALERT_MIN_WRITES: '50' });

    expect(settings.thresholds).toMatchObject({ secondaryErrorRate: 0.02, breakerOpenMs: 60_000, minOpsForRates: 50 });
  });

  it('names the variable of a malformed value', () => {
    expect(() => parseAlertSettings({ DW_ALERT_SECONDARY_ERROR_RATE: '5%' })).toThrow('Invalid configuration: DW_ALERT_SECONDARY_ERROR_RATE must be a ratio between 0 and 1');
    expect(() => parseAlertSettings({ DW_ALERT_WINDOW_MS: '0' })).toThrow('Invalid configuration: DW_ALERT_WINDOW_MS must be a whole number of at least 1');
  });
});
