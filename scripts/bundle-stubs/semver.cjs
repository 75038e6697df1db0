// task-lib calls semver.lt(process.versions.node, '4.2.0') when it loads (and in assertAgent, which the task does
// not call). In the bundle, that one comparison of plain x.y.z versions is all it needs.
'use strict';
function parts(v) {
  return String(v)
    .replace(/^v/, '')
    .split(/[.+-]/)
    .slice(0, 3)
    .map((n) => Number.parseInt(n, 10) || 0);
}
exports.lt = function lt(a, b) {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return false;
};
