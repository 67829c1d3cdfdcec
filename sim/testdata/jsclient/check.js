// Drives overcast sim with Apache OpenWhisk's JavaScript client: action
// create/get/delete, blocking and non-blocking invoke, activation get and
// list, and an application error. Prints one line per step; exits 1 on the
// first failure. Environment: APIHOST, AUTH, ZIP (a file of base64 zip).
const fs = require('fs');
const openwhisk = require('openwhisk');

const ow = openwhisk({apihost: process.env.APIHOST, api_key: process.env.AUTH, namespace: '_'});
const name = 'jsclient';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const check = (ok, what) => { if (!ok) throw new Error('check failed: ' + what); console.log('ok', what); };

(async () => {
  const code = fs.readFileSync(process.env.ZIP, 'utf8');
  await ow.actions.update({name, action: {exec: {kind: 'go:1.24', code, binary: true}, limits: {timeout: 30000}}});
  const a = await ow.actions.get({name});
  check(a.name === name && a.exec.kind === 'go:1.24', 'action create and get');

  const params = {task: 'selftest/echo', index: 3, input: {n: 41}};
  const r = await ow.actions.invoke({name, params, blocking: true, result: true});
  check(r.output && r.output.n === 41, 'blocking invoke with result=true');

  const nb = await ow.actions.invoke({name, params});
  check(/^[0-9a-f]{32}$/.test(nb.activationId), 'non-blocking invoke returns an activation id');
  let act;
  for (let i = 0; i < 100 && !act; i++) {
    try { act = await ow.activations.get({name: nb.activationId}); } catch (e) { await sleep(50); }
  }
  check(act && act.response.status === 'success' && act.response.result.output.n === 41, 'activation get');

  const list = await ow.activations.list({name, limit: 5, docs: true});
  check(list.length === 2 && list.every(x => x.response && x.activationId), 'activation list with docs');

  let status = 0;
  try {
    await ow.actions.invoke({name, params: {task: 'selftest/echo', index: 1, input: {n: 1, fail: 'boom'}}, blocking: true, result: true});
  } catch (e) { status = e.statusCode; }
  check(status === 502, 'a task error is an application error (502)');

  await ow.actions.delete({name});
  let gone = false;
  try { await ow.actions.get({name}); } catch (e) { gone = e.statusCode === 404; }
  check(gone, 'action delete');
})().catch(e => { console.error('FAILED', e.message || e); process.exit(1); });
