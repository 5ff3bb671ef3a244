// The run sparkline's axis label fits left of the plot, whatever the slowest run took.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LABEL_CHAR_PX, sparkGeometry } from '../web/src/glyphs/pulse/spark-geometry.js';

describe('the run sparkline', () => {
  for (const slowest of [9, 626, 12_345, 3_600_000]) {
    it(`keeps the label of a ${slowest} ms run inside the drawing, and the plot its width`, () => {
      const g = sparkGeometry([1, slowest, 3]);
      assert.ok(g.labelX - g.label.length * LABEL_CHAR_PX >= 0, `"${g.label}" ends at ${g.labelX}: cut on the left`);
      assert.ok(g.points.every((p) => p.x >= g.left && p.x <= g.width), 'points inside the plot');
      assert.equal(g.width - g.left, 102);
    });
  }
});
