// One round trip through a broker with MQTT.js, the library inside MQTTX.
//
//   node roundtrip.js PORT|URL PROTOCOL_VERSION [CA_FILE]     (4 = MQTT 3.1.1, 5 = MQTT 5)
//
// PORT means mqtt://127.0.0.1:PORT; a URL may be ws://127.0.0.1:8083/mqtt or
// wss://127.0.0.1:8084/mqtt, mqtts://..., whose server certificate must chain to CA_FILE (PEM).
// A subscriber and a publisher connect there. The publisher sends QoS 0, 1 and 2,
// a retained message and (MQTT 5) a message with user properties, content type and a topic
// alias; the subscriber must get each exactly once, with its QoS and properties, and a second
// subscriber must get the retained message. Prints one JSON line; exit 0 when all of it held.
'use strict';
const fs = require('fs');
const mqtt = require('mqtt');

const target = process.argv[2];
const version = Number(process.argv[3] || 5);
const ca = process.argv[4] ? fs.readFileSync(process.argv[4]) : undefined;
const v5 = version === 5;
const url = /^[0-9]+$/.test(target) ? `mqtt://127.0.0.1:${target}` : target;
const tag = `js${version}-${url.split(':')[0]}-${process.pid}`;
const failures = [];
const deadline = setTimeout(() => finish('timed out'), 10000);

function client(id, extra) {
  return mqtt.connect(url, {
    clientId: `${tag}-${id}`,
    protocolVersion: version,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(ca ? { ca, rejectUnauthorized: true } : {}),
    ...extra,
  });
}

function once(c, event) {
  return new Promise((resolve, reject) => {
    c.once(event, resolve);
    c.once('error', reject);
  });
}

function finish(error) {
  if (error) {
    failures.push(error);
  }
  clearTimeout(deadline);
  console.log(JSON.stringify({ url, version, ok: failures.length === 0, failures }));
  process.exit(failures.length === 0 ? 0 : 1);
}

function check(condition, what) {
  if (!condition) {
    failures.push(what);
  }
}

async function main() {
  const sub = client('sub');
  await once(sub, 'connect');
  const received = [];
  sub.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), packet }));
  await sub.subscribeAsync(`${tag}/#`, { qos: 2 });

  const pub = client('pub', v5 ? { properties: { topicAliasMaximum: 10 } } : {});
  await once(pub, 'connect');
  for (const qos of [0, 1, 2]) {
    await pub.publishAsync(`${tag}/q${qos}`, `qos ${qos}`, { qos });
  }
  await pub.publishAsync(`${tag}/kept`, 'retained', { qos: 1, retain: true });
  if (v5) {
    const properties = { userProperties: { a: '1', b: '2' }, contentType: 'text/plain', topicAlias: 3 };
    await pub.publishAsync(`${tag}/props`, 'with properties', { qos: 1, properties });
    // The alias alone now stands for the topic.
    await pub.publishAsync('', 'by alias', { qos: 1, properties: { topicAlias: 3 } });
  }
  const expected = v5 ? 6 : 4;
  const start = Date.now();
  while (received.length < expected && Date.now() - start < 5000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  check(received.length === expected, `received ${received.length} messages, expected ${expected}`);
  for (const qos of [0, 1, 2]) {
    const m = received.find((r) => r.topic === `${tag}/q${qos}`);
    check(m && m.payload === `qos ${qos}` && m.packet.qos === qos, `QoS ${qos} message`);
  }
  if (v5) {
    const m = received.find((r) => r.payload === 'with properties');
    const props = (m && m.packet.properties) || {};
    check(m && m.topic === `${tag}/props`, 'topic of the aliased message');
    check(props.contentType === 'text/plain', 'content type passed through');
    check(props.userProperties && props.userProperties.a === '1' && props.userProperties.b === '2',
        'user properties passed through');
    const byAlias = received.find((r) => r.payload === 'by alias');
    check(byAlias && byAlias.topic === `${tag}/props`, 'message sent by alias arrives with its topic');
  }

  const late = client('late');
  await once(late, 'connect');
  const retained = [];
  late.on('message', (topic, payload, packet) => retained.push({ topic, payload: payload.toString(), packet }));
  await late.subscribeAsync(`${tag}/kept`, { qos: 1 });
  const t0 = Date.now();
  while (retained.length < 1 && Date.now() - t0 < 3000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  check(retained.length === 1 && retained[0].packet.retain && retained[0].payload === 'retained',
      'retained message on subscribe');
  await pub.publishAsync(`${tag}/kept`, '', { qos: 1, retain: true });

  await Promise.all([sub.endAsync(), pub.endAsync(), late.endAsync()]);
  finish();
}

main().catch((e) => finish(String(e && e.message ? e.message : e)));
