// Stands in, in the task's bundle only, for modules the task's code paths never call (scripts/build.mjs lists
// them): task-lib's tool runner and file matching, MSAL's certificate-based client assertions, typed-rest-client's
// query-parameter helper. Any call fails loudly instead of silently doing something else.
'use strict';
function unused(name) {
  return function () {
    throw new Error(`${name} is not part of this task's bundle (scripts/build.mjs: bundle stubs)`);
  };
}
const handler = {
  get(_target, property) {
    if (property === '__esModule') return false;
    if (property === 'default') return proxy;
    return unused(String(property));
  },
};
const proxy = new Proxy(unused('module'), handler);
module.exports = proxy;
