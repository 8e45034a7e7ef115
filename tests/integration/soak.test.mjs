// Issue 9: a short run of the soak (tests/soak/soak.mjs) so the soak itself keeps working: mixed receivers,
// kill -9 and restarts, secret rotations. The long run is `scripts/soak.sh --minutes N` (docs/RELIABILITY.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from '../soak/soak.mjs';

test('short soak: mixed faults, two kill -9, rotations; nothing lost, every signature verifies', { timeout: 240000 }, async () => {
  const report = await runSoak({ seconds: 40, rate: 15, producers: 4, killEverySeconds: 15, rotateEverySeconds: 6, drainSeconds: 150, log: () => {} });
  console.log(`short soak: ${JSON.stringify(report)}`);
  assert.ok(report.accepted >= 200, `accepted ${report.accepted}`);
  assert.equal(report.lost, 0, 'messages lost');
  assert.equal(report.badSignatures, 0, 'requests no secret of the endpoint verifies');
  assert.ok(report.kills >= 2, `kills ${report.kills}`);
  assert.ok(report.rotations >= 2, `rotations ${report.rotations}`);
  for (const [kind, n] of Object.entries(report.requestsByKind)) assert.ok(n > 0, `${kind} receivers got requests`);
  assert.ok(report.latencyHealthyMs.samples > 0);
});
