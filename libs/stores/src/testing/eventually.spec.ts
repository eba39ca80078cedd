import { eventually } from './eventually';

describe('eventually', () => {
  it('returns the first value the probe gives other than undefined', async () => {
    let calls = 0;
    const value = await eventually(async () => (++calls >= 3 ? `after ${calls} probes` : undefined));
    expect(value).toBe('after 3 probes');
  });

  it('fails naming its time limit when the probe never gives a value', async () => {
    await expect(eventually(async () => undefined, 100)).rejects.toThrow('condition not met within 100 ms');
  });
});
