import { describeSteadyP95s, steadySeries } from './steady-series';

describe('steadySeries', () => {
  it('measures every mode once, then the first single-store mode again as the control', () => {
    expect(steadySeries(['1', '4', '2'], true)).toEqual([
      { mode: '1', control: false },
      { mode: '4', control: false },
      { mode: '2', control: false },
      { mode: '1', control: true },
    ]);
    expect(steadySeries(['2', '4'], true)).toEqual([
      { mode: '2', control: false },
      { mode: '4', control: false },
      { mode: '4', control: true },
    ]);
  });

  it('adds no control when it is off or no single-store mode is measured', () => {
    expect(steadySeries(['1', '4', '2'], false)).toEqual([
      { mode: '1', control: false },
      { mode: '4', control: false },
      { mode: '2', control: false },
    ]);
    expect(steadySeries(['2'], true)).toEqual([{ mode: '2', control: false }]);
  });
});

describe('describeSteadyP95s', () => {
  it('compares mode 2 with the slower single store and the control with its own first series', () => {
    expect(
      describeSteadyP95s([
        { mode: '1', control: false, p95: 20 },
        { mode: '4', control: false, p95: 25 },
        { mode: '2', control: false, p95: 27.5 },
        { mode: '1', control: true, p95: 15 },
      ]),
    ).toEqual([
      'mode 2 p95 vs the slower single store (mode 4): +10 %',
      'control: mode 1 measured again, p95 -25 % against its first series (the same path: a gap this size between modes is the machine\'s, not theirs)',
    ]);
  });

  it('leaves out what was not measured', () => {
    expect(describeSteadyP95s([{ mode: '2', control: false, p95: 10 }])).toEqual([]);
    expect(describeSteadyP95s([
      { mode: '1', control: false, p95: 30 },
      { mode: '2', control: false, p95: 24 },
    ])).toEqual(['mode 2 p95 vs the slower single store (mode 1): -20 %']);
  });

  it('reads a change under half a percent as +0 %, whichever its sign', () => {
    expect(describeSteadyP95s([
      { mode: '1', control: false, p95: 6.5 },
      { mode: '2', control: false, p95: 6.48 },
    ])).toEqual(['mode 2 p95 vs the slower single store (mode 1): +0 %']);
  });
});
