// Stands in, in the task's bundle only, for modules the task's code paths never call (scripts/build.mjs lists
// them). Calling anything fails loudly instead of silently doing something else. Constructing an object is allowed
// (MSAL builds a default HTTP client and a region-discovery helper that the task never uses), but calling any of its
// methods fails the same way.
'use strict';
function unused(name) {
  const fail = () => {
    throw new Error(`${name} is not part of this task's bundle (scripts/build.mjs: bundle stubs)`);
  };
  return new Proxy(function () {}, {
    apply: fail,
    construct: () => new Proxy({}, { get: (_target, property) => (property === 'then' ? undefined : unused(`${name}#${String(property)}`)) }),
  });
}
const proxy = new Proxy(unused('module'), {
  get(_target, property) {
    if (property === '__esModule') return false;
    if (property === 'default') return proxy;
    return unused(String(property));
  },
});
module.exports = proxy;
