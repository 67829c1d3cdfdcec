// Drives overcast sim with Apache OpenWhisk's JavaScript client: the
// platform's information (GET / and /api/v1), action create/get/list/delete,
// blocking and non-blocking invoke, activation get, list and logs, an
// application error, and the empty package, trigger and rule collections.
// Prints one line per step; exits 1 on the first failure. Environment:
// APIHOST, AUTH, ZIP (a file of base64 zip).
const fs = require('fs');
const openwhisk = require('openwhisk');

const ow = openwhisk({apihost: process.env.APIHOST, api_key: process.env.AUTH, namespace: '_'});
const name = 'jsclient';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const check = (ok, what) => { if (!ok) throw new Error('check failed: ' + what); console.log('ok', what); };

(async () => {
  const code = fs.readFileSync(process.env.ZIP, 'utf8');
  const info = await ow.actions.client.request('GET', '/');
  const kind = (info.runtimes.go.find(k => k.default) || {}).kind;
  check(kind === 'go:1.24' && info.runtimes.go.every(k => /^openwhisk\/action-golang-v1\.\d+:nightly$/.test(k.image)), 'GET / lists the go kinds with their images');
  const api = await ow.actions.client.request('GET', '/api/v1');
  check(api.api_version_path === 'v1' && api.description === 'OpenWhisk API', 'GET /api/v1');

  await ow.actions.update({name, action: {exec: {kind, code, binary: true}, limits: {timeout: 30000}}});
  const a = await ow.actions.get({name});
  check(a.name === name && a.exec.kind === kind, 'action create and get');
  const listed = await ow.actions.list({limit: 1, skip: 0});
  check(listed.length === 1 && listed[0].annotations.some(x => x.key === 'exec' && x.value === kind), 'action list shows the kind');

  let status = 0;
  try { await ow.actions.create({name: 'nopackage/' + name, action: {exec: {kind, code, binary: true}}}); } catch (e) { status = e.statusCode; }
  check(status === 404, 'an action in a package that does not exist is refused (404)');

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

  const logs = await ow.activations.logs({name: nb.activationId});
  check(Array.isArray(logs.logs), 'activation logs');

  status = 0;
  try {
    await ow.actions.invoke({name, params: {task: 'selftest/echo', index: 1, input: {n: 1, fail: 'boom'}}, blocking: true, result: true});
  } catch (e) { status = e.statusCode; }
  check(status === 502, 'a task error is an application error (502)');

  for (const c of ['packages', 'triggers', 'rules']) {
    const l = await ow[c].list();
    check(Array.isArray(l) && l.length === 0, c + ' list is empty');
  }
  status = 0;
  try { await ow.packages.create({name: 'p'}); } catch (e) { status = e.statusCode; }
  check(status === 501, 'package create: the sim does not implement packages (501)');

  await ow.actions.delete({name});
  let gone = false;
  try { await ow.actions.get({name}); } catch (e) { gone = e.statusCode === 404; }
  check(gone, 'action delete');
})().catch(e => { console.error('FAILED', e.message || e); process.exit(1); });
