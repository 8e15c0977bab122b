import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESET_NAMES, TASKS, TASK_NAMES, chooseTask } from '../src/cli/commands/tasks.js';

test('a task is chosen by --task, by the owner of --preset, or is splice', () => {
  assert.equal(chooseTask({}, {}, '').name, 'splice');
  assert.equal(chooseTask({ preset: 'bmi-chewie' }, {}, '').name, 'decode');
  assert.equal(chooseTask({ preset: 'physionet2012' }, {}, '').name, 'irregular');
  assert.equal(chooseTask({}, { task: 'forecast' }, 'c.yaml').name, 'forecast');
  assert.equal(chooseTask({ task: 'decode', preset: 'bmi-mihi' }, {}, '').name, 'decode');
});

test('task names and presets are unique, every preset has one owner', () => {
  assert.equal(new Set(TASK_NAMES).size, TASKS.length);
  assert.equal(new Set(PRESET_NAMES).size, PRESET_NAMES.length);
});

test('conflicting or unknown choices are refused where they were given', () => {
  assert.throws(() => chooseTask({ task: 'decode', preset: 'wind-t1' }, {}, ''), /--task: expected "forecast" or none with --preset wind-t1, got "decode"/);
  assert.throws(() => chooseTask({}, { task: 'nope' }, 'c.yaml'), /c\.yaml: "task": expected one of splice, classify, forecast/);
  assert.throws(() => chooseTask({}, { preset: 'nope' }, 'c.yaml'), /c\.yaml: "preset": expected one of wind-t1/);
});

test("a flag of another task is refused with that task's name", () => {
  assert.throws(() => chooseTask({ task: 'forecast', limit: 4 }, {}, ''), /--limit: expected an option of the forecast task, got an option of the splice, classify tasks \(add --task splice\?\)/);
  assert.throws(() => chooseTask({ preset: 'spike-history', lookback: 4 }, {}, ''), /--lookback: expected an option of the spike-history task, got an option of the forecast task/);
  // --data-dir, --backend, --json and --config steer the command and are taken by every task.
  assert.equal(chooseTask({ dataDir: '/x', backend: 'ref', json: true }, {}, '').name, 'splice');
});
