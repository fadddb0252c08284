import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { createLogger } from '../../src/log';
import { captureLog } from '../support/bridge';

describe('logging', () => {
  it('writes one JSON object per line with level, message, timestamp and fields', async () => {
    const cap = captureLog();
    const log = createLogger({ level: 'info', stream: cap.stream, defaultMeta: { worker: 2 } });
    log.info('access', { requestId: 'r-1', status: 200 });
    log.debug('hidden');
    await new Promise((r) => setImmediate(r));
    assert.equal(cap.lines.length, 1);
    const [line] = cap.lines;
    assert.equal(line.message, 'access');
    assert.equal(line.level, 'info');
    assert.equal(line.requestId, 'r-1');
    assert.equal(line.worker, 2);
    assert.match(String(line.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('writes a line with a cycle in its fields instead of throwing', async () => {
    const cap = captureLog();
    const log = createLogger({ level: 'info', stream: cap.stream });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.doesNotThrow(() => log.warn('cycle', { cyclic }));
    await new Promise((r) => setImmediate(r));
    assert.equal(cap.lines.length, 1);
    assert.equal(cap.lines[0].message, 'cycle');
    assert.deepEqual((cap.lines[0].cyclic as Record<string, unknown>).a, 1);
  });
});
