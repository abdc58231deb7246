import { describe, expect, it } from 'vitest';
import { commas, decideStep, describeThreshold, metricValue, parseMetric, parseThreshold, signed, thresholdBytes } from '../../src/bisect/threshold.js';

describe('bisect threshold', () => {
  it('parses bytes, K, M and percentages', () => {
    expect(parseThreshold('+500')).toEqual({ kind: 'bytes', value: 500, text: '+500' });
    expect(parseThreshold('+12K').value).toBe(12288);
    expect(parseThreshold('12k').value).toBe(12288);
    expect(parseThreshold('+1.5M').value).toBe(1572864);
    expect(parseThreshold('+2%')).toEqual({ kind: 'percent', value: 2, text: '+2%' });
    expect(parseThreshold('+0.5%').value).toBe(0.5);
  });
  it('rejects what is not a growth', () => {
    for (const bad of ['', '-5', '+', '+5G', 'abc', '+0', '+1.5']) expect(() => parseThreshold(bad), bad).toThrow(/threshold/);
  });
  it('a percentage is of the good value, rounded up', () => {
    expect(thresholdBytes(parseThreshold('+1%'), 1001)).toBe(11);
    expect(thresholdBytes(parseThreshold('+10%'), 1000)).toBe(100);
    expect(thresholdBytes(parseThreshold('+4K'), 1)).toBe(4096);
  });
  it('decides good below the threshold, bad at or above it, skip without a value', () => {
    const t = parseThreshold('+100');
    expect(decideStep(1099, 1000, t)).toEqual({ status: 'good', exit: 0, delta: 99 });
    expect(decideStep(1100, 1000, t)).toEqual({ status: 'bad', exit: 1, delta: 100 });
    expect(decideStep(900, 1000, t)).toEqual({ status: 'good', exit: 0, delta: -100 });
    expect(decideStep(undefined, 1000, t)).toEqual({ status: 'skip', exit: 125 });
    expect(decideStep(1020, 1000, parseThreshold('+2%')).status).toBe('bad');
    expect(decideStep(1019, 1000, parseThreshold('+2%')).status).toBe('good');
  });
  it('metrics: size columns, files, symbols', () => {
    const b = {
      size: { text: 10, data: 2, bss: 3, dec: 15 },
      files: { vmlinux: { bytes: 400 }, bzImage: { bytes: 300 } },
      symbols: [
        { name: 'a', type: 'T', size: 5 },
        { name: 'a', type: 't', size: 2 },
        { name: 'b', type: 'D', size: 9 },
      ],
    };
    expect(metricValue(parseMetric('dec'), b)).toBe(15);
    expect(metricValue(parseMetric('bss'), b)).toBe(3);
    expect(metricValue(parseMetric('bzImage'), b)).toBe(300);
    expect(metricValue(parseMetric('vmlinux'), b)).toBe(400);
    expect(metricValue(parseMetric('symbol:a'), b)).toBe(7);
    expect(metricValue(parseMetric('symbol:zzz'), b)).toBe(0);
    expect(metricValue(parseMetric('bzImage'), { ...b, files: {} })).toBeUndefined();
    expect(() => parseMetric('size')).toThrow(/metric/);
    expect(() => parseMetric('symbol:')).toThrow(/metric/);
  });
  it('formats numbers', () => {
    expect(commas(1234567)).toBe('1,234,567');
    expect(signed(2745)).toBe('+2,745');
    expect(signed(-12)).toBe('-12');
    expect(signed(0)).toBe('+0');
    expect(describeThreshold(parseThreshold('+12K'))).toBe('+12K (12,288 bytes)');
    expect(describeThreshold(parseThreshold('+2%'), 10000)).toBe('+2% (200 bytes)');
  });
});
