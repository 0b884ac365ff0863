// The live charts' pure parts, in Node (no browser): the x range a chart
// shows for its data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xRange, Series, WINDOW_SECS } from '../../static/js/charts.js';

test('a live chart spans its window up to the newest point', () => {
  assert.deepEqual(xRange(1_800_000_000, 1_800_000_000, WINDOW_SECS), [1_800_000_000 - 300, 1_800_000_000]);
  assert.deepEqual(xRange(1_800_000_000, 1_800_000_120, WINDOW_SECS), [1_800_000_120 - 300, 1_800_000_120]);
});

test('without a window, one point gets a minute around it, not years', () => {
  assert.deepEqual(xRange(1_800_000_000, 1_800_000_000, 0), [1_800_000_000 - 30, 1_800_000_000 + 30]);
  assert.deepEqual(xRange(1_800_000_000, 1_800_003_600, 0), [1_800_000_000, 1_800_003_600]);
  const [from, to] = xRange(null, null, 0);
  assert.ok(to - from === 60 && Math.abs(to - Date.now() / 1000) < 5, `${from}..${to}`);
});

test('a series keeps the last five minutes, in order', () => {
  const s = new Series(1);
  assert.equal(s.push(1_000_000, 1), true);
  assert.equal(s.push(1_000_000, 2), false, 'not newer');
  s.push(1_000_000 + WINDOW_SECS * 1000 + 1, 3);
  assert.deepEqual(s.columns(), [[(1_000_000 + WINDOW_SECS * 1000 + 1) / 1000], [3]], "the older point left the window");
});
