/*
 * Paho C (the synchronous MQTTClient of libpaho-mqtt3cs, as Debian packages it) against a broker,
 * one scenario a run, checking what its clients get.
 *
 *   check URI VERSION CA_FILE SCENARIO
 *
 * URI is tcp://127.0.0.1:PORT or ssl://localhost:PORT, whose server certificate must chain to
 * CA_FILE (PEM) and name the host; VERSION is 4 (MQTT 3.1.1) or 5. SCENARIO is one of (sections
 * of the MQTT 5 specification, the same numbers in 3.1.1 unless said)
 *   qos         a publish at QoS 0, 1 and 2 to subscribers at QoS 0, 1 and 2: each gets each
 *               message once, payload intact (64 KiB of every byte value), at the lower QoS
 *               (3.8.4)
 *   retained    a retained message reaches a late subscriber, flagged retained; an empty
 *               retained message clears it, so a later subscriber gets nothing (3.3.1.3)
 *   will        a client killed with SIGKILL has its will published; one that disconnects
 *               normally does not (3.1.2.5)
 *   session     a persistent session resumed gets the QoS 1 messages published while it was
 *               offline, in order, with session present set (3.2.2.2; MQTT 3.1.1 only, see
 *               check_present)
 *   properties  (MQTT 5) user properties in order (3.3.2.3.7), message expiry, content type,
 *               payload format, response topic and correlation data reach the subscriber,
 *               which answers on the response topic with the correlation data (4.10)
 *   shared      ten messages to a shared subscription of two members: each reaches exactly one
 *               member, and a plain subscriber gets all ten (4.8.2; 3.1.1 has no shared
 *               subscriptions, but the broker takes $share/ filters from its clients too)
 * Prints a line for every check that failed, then "ok" or "failed"; exits 0 only when all held.
 * Every wait is bounded. Run with --hold-will or --clean-will it is the will scenario's child.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <MQTTClient.h>

#define WAIT_MS 5000L
#define BIG 65536

extern char** environ;

static const char* uri;
static const char* ca;
static int version;
static char tag[64];
static int failures;

static void failed(const char* format, ...) {
  va_list args;
  va_start(args, format);
  printf("FAIL: ");
  vprintf(format, args);
  printf("\n");
  fflush(stdout);
  va_end(args);
  failures++;
}

/* A step the rest of the scenario cannot go on without. */
static void fatal(const char* what, int rc) {
  failed("%s: %d (%s)", what, rc, MQTTClient_strerror(rc));
  printf("failed\n");
  exit(1);
}

static char* topic(const char* suffix) {
  static char buffers[8][128];
  static int next;
  char* t = buffers[next++ % 8];
  snprintf(t, sizeof buffers[0], "%s/%s", tag, suffix);
  return t;
}

typedef struct {
  const char* will_topic;
  const char* will_payload;
  int clean;
  int session_expiry; /* MQTT 5: seconds the session outlives the connection */
} Options;

static MQTTClient connect_as(const char* id, Options o, int* session_present) {
  MQTTClient c;
  MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
  create.MQTTVersion = version;
  char client_id[128];
  snprintf(client_id, sizeof client_id, "%s-%s", tag, id);
  int rc = MQTTClient_createWithOptions(&c, uri, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
      &create);
  if (rc != MQTTCLIENT_SUCCESS) {
    fatal("create", rc);
  }
  MQTTClient_connectOptions conn = version == 5
      ? (MQTTClient_connectOptions) MQTTClient_connectOptions_initializer5
      : (MQTTClient_connectOptions) MQTTClient_connectOptions_initializer;
  conn.MQTTVersion = version;
  conn.connectTimeout = 5;
  conn.keepAliveInterval = 30;
  if (version == 5) {
    conn.cleanstart = o.clean;
  } else {
    conn.cleansession = o.clean;
  }
  MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
  if (strncmp(uri, "ssl://", 6) == 0) {
    ssl.trustStore = ca;
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;
    conn.ssl = &ssl;
  }
  MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
  MQTTProperties will_props = MQTTProperties_initializer;
  if (o.will_topic) {
    will.topicName = o.will_topic;
    will.message = o.will_payload;
    will.qos = 1;
    conn.will = &will;
    MQTTProperty p = {.identifier = MQTTPROPERTY_CODE_USER_PROPERTY};
    p.value.data = (MQTTLenString) {4, "will"};
    p.value.value = (MQTTLenString) {3, "yes"};
    MQTTProperties_add(&will_props, &p);
  }
  if (version == 5) {
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty expiry = {.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL};
    expiry.value.integer4 = (unsigned int) o.session_expiry;
    MQTTProperties_add(&props, &expiry);
    MQTTResponse r = MQTTClient_connect5(c, &conn, &props, &will_props);
    rc = r.reasonCode;
    MQTTResponse_free(r);
    MQTTProperties_free(&props);
  } else {
    rc = MQTTClient_connect(c, &conn);
  }
  MQTTProperties_free(&will_props);
  if (rc != MQTTCLIENT_SUCCESS) {
    fatal("connect", rc);
  }
  if (session_present) {
    *session_present = conn.returned.sessionPresent;
  }
  return c;
}

static MQTTClient connect_clean(const char* id) {
  return connect_as(id, (Options) {.clean = 1}, NULL);
}

static void subscribe(MQTTClient c, const char* filter, int qos) {
  int rc;
  if (version == 5) {
    MQTTResponse r = MQTTClient_subscribe5(c, filter, qos, NULL, NULL);
    /* The reason code is the QoS granted, or an error (0x80 and up). */
    rc = (int) r.reasonCode;
    MQTTResponse_free(r);
    if (rc != qos) {
      failed("subscribe %s at QoS %d: reason code 0x%02x", filter, qos, rc);
      printf("failed\n");
      exit(1);
    }
  } else if ((rc = MQTTClient_subscribe(c, filter, qos)) != MQTTCLIENT_SUCCESS) {
    fatal("subscribe", rc);
  }
}

static void publish(MQTTClient c, const char* t, const void* payload, int len, int qos,
    int retained, MQTTProperties* props) {
  MQTTClient_deliveryToken token;
  int rc;
  if (version == 5) {
    MQTTProperties none = MQTTProperties_initializer;
    MQTTResponse r = MQTTClient_publish5(c, t, len, payload, qos, retained,
        props ? props : &none, &token);
    rc = r.reasonCode;
    MQTTResponse_free(r);
  } else {
    rc = MQTTClient_publish(c, t, len, payload, qos, retained, &token);
  }
  if (rc == MQTTCLIENT_SUCCESS && qos > 0) {
    rc = MQTTClient_waitForCompletion(c, token, WAIT_MS);
  }
  if (rc != MQTTCLIENT_SUCCESS) {
    fatal("publish", rc);
  }
}

static void publish_text(MQTTClient c, const char* t, const char* text, int qos, int retained) {
  publish(c, t, text, (int) strlen(text), qos, retained, NULL);
}

static void disconnect(MQTTClient* c) {
  MQTTClient_disconnect(*c, 2000);
  MQTTClient_destroy(c);
}

/* The next message, or NULL when none came within WAIT_MS; *t gets its topic (free it). */
static MQTTClient_message* receive(MQTTClient c, char** t) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    MQTTClient_message* m = NULL;
    int len;
    int rc = MQTTClient_receive(c, t, &len, &m, 200);
    if (m) {
      return m;
    }
    if (rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED) {
      failed("receive: %d (%s)", rc, MQTTClient_strerror(rc));
      return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L
        > WAIT_MS) {
      return NULL;
    }
  }
}

static void done(MQTTClient_message** m, char** t) {
  MQTTClient_freeMessage(m);
  MQTTClient_free(*t);
  *t = NULL;
}

static int is_text(const MQTTClient_message* m, const char* text) {
  return m->payloadlen == (int) strlen(text) && memcmp(m->payload, text, strlen(text)) == 0;
}

/* --- qos --- */

static void fill(unsigned char* payload, int qos) {
  for (int i = 0; i < BIG; i++) {
    payload[i] = (unsigned char) (i * 7 + qos);
  }
}

static void scenario_qos(void) {
  MQTTClient subs[3];
  for (int s = 0; s < 3; s++) {
    char id[8];
    snprintf(id, sizeof id, "sub%d", s);
    subs[s] = connect_clean(id);
    subscribe(subs[s], topic("#"), s);
  }
  MQTTClient pub = connect_clean("pub");
  static unsigned char payload[BIG];
  for (int p = 0; p < 3; p++) {
    char t[8];
    snprintf(t, sizeof t, "p%d", p);
    fill(payload, p);
    publish(pub, topic(t), payload, BIG, p, 0, NULL);
  }
  /* Sent after the three, at QoS 2, so each subscriber has had all three when it comes. */
  publish_text(pub, topic("end"), "end", 2, 0);
  static unsigned char expected[BIG];
  for (int s = 0; s < 3; s++) {
    int got[3] = {0, 0, 0};
    for (;;) {
      char* t;
      MQTTClient_message* m = receive(subs[s], &t);
      if (!m) {
        failed("QoS %d subscriber: no end message within %ld ms", s, WAIT_MS);
        break;
      }
      if (strcmp(t, topic("end")) == 0) {
        done(&m, &t);
        break;
      }
      int p;
      if (sscanf(t + strlen(tag), "/p%d", &p) != 1 || p < 0 || p > 2) {
        failed("QoS %d subscriber: unexpected topic %s", s, t);
        done(&m, &t);
        continue;
      }
      got[p]++;
      int want = p < s ? p : s;
      if (m->qos != want) {
        failed("QoS %d subscriber got the QoS %d publish at QoS %d, not %d", s, p, m->qos, want);
      }
      fill(expected, p);
      if (m->payloadlen != BIG || memcmp(m->payload, expected, BIG) != 0) {
        failed("QoS %d subscriber: payload of the QoS %d publish not intact (%d bytes)", s, p,
            m->payloadlen);
      }
      if (m->retained || m->dup) {
        failed("QoS %d subscriber: retained %d dup %d on a fresh publish", s, m->retained, m->dup);
      }
      done(&m, &t);
    }
    for (int p = 0; p < 3; p++) {
      if (got[p] != 1) {
        failed("QoS %d subscriber got the QoS %d publish %d times", s, p, got[p]);
      }
    }
    disconnect(&subs[s]);
  }
  disconnect(&pub);
}

/* --- retained --- */

static void scenario_retained(void) {
  MQTTClient pub = connect_clean("pub");
  publish_text(pub, topic("kept"), "kept", 1, 1);

  MQTTClient late = connect_clean("late");
  subscribe(late, topic("kept"), 1);
  char* t;
  MQTTClient_message* m = receive(late, &t);
  if (!m) {
    failed("late subscriber: no retained message");
  } else {
    if (!m->retained || m->qos != 1 || !is_text(m, "kept") || strcmp(t, topic("kept")) != 0) {
      failed("late subscriber: got %s retained %d QoS %d, %d bytes; want the retained \"kept\" at "
          "QoS 1", t, m->retained, m->qos, m->payloadlen);
    }
    done(&m, &t);
  }

  publish(pub, topic("kept"), "", 0, 1, 1, NULL);
  m = receive(late, &t);
  if (!m) {
    failed("subscriber: did not get the empty retained message that clears the topic");
  } else {
    if (m->payloadlen != 0) {
      failed("subscriber: got %d bytes, not the empty message that clears", m->payloadlen);
    }
    done(&m, &t);
  }

  /* A retained message comes on subscribing, so before the marker this client sends after. */
  MQTTClient later = connect_clean("later");
  subscribe(later, topic("kept"), 1);
  subscribe(later, topic("marker"), 1);
  publish_text(later, topic("marker"), "marker", 1, 0);
  m = receive(later, &t);
  if (!m) {
    failed("later subscriber: not even its own marker came");
  } else {
    if (strcmp(t, topic("marker")) != 0) {
      failed("later subscriber: got %s (%d bytes) although the retained message was cleared", t,
          m->payloadlen);
    }
    done(&m, &t);
  }
  disconnect(&later);
  disconnect(&late);
  disconnect(&pub);
}

/* --- will --- */

static pid_t spawn_child(const char* mode, const char* will_topic, int* out) {
  int fds[2];
  if (pipe(fds) != 0) {
    fatal("pipe", errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  char v[4];
  snprintf(v, sizeof v, "%d", version);
  char* argv[] = {"check", (char*) mode, (char*) uri, v, (char*) ca, tag, (char*) will_topic,
      NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    fatal("spawn", rc);
  }
  *out = fds[0];
  return pid;
}

/* The child's first line, or "" when none came within WAIT_MS. */
static void child_line(int fd, char* line, size_t size) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  size_t n = 0;
  while (n + 1 < size && poll(&p, 1, WAIT_MS) == 1) {
    ssize_t r = read(fd, line + n, 1);
    if (r != 1 || line[n] == '\n') {
      break;
    }
    n++;
  }
  line[n] = '\0';
}

static int reap(pid_t pid) {
  for (int i = 0; i < WAIT_MS / 10; i++) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return status;
    }
    struct timespec ten_ms = {0, 10000000L};
    nanosleep(&ten_ms, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

static void scenario_will(void) {
  MQTTClient watcher = connect_clean("watcher");
  subscribe(watcher, topic("will/#"), 1);
  char line[64];
  int fd;

  pid_t clean = spawn_child("--clean-will", topic("will/clean"), &fd);
  child_line(fd, line, sizeof line);
  close(fd);
  if (strcmp(line, "disconnected") != 0) {
    failed("child that disconnects normally said \"%s\"", line);
  }
  reap(clean);

  pid_t holder = spawn_child("--hold-will", topic("will/dropped"), &fd);
  child_line(fd, line, sizeof line);
  close(fd);
  if (strcmp(line, "connected") != 0) {
    failed("child holding the will said \"%s\"", line);
  }
  kill(holder, SIGKILL);
  reap(holder);

  /* Had the normal disconnect published its will, that would have come first. */
  char* t;
  MQTTClient_message* m = receive(watcher, &t);
  if (!m) {
    failed("no will within %ld ms of the client being killed", WAIT_MS);
  } else {
    if (strcmp(t, topic("will/dropped")) != 0) {
      failed("got %s: a will published for a normal disconnect", t);
    } else if (!is_text(m, "gone") || m->qos != 1 || m->retained) {
      failed("will: %d bytes, QoS %d, retained %d; want \"gone\" at QoS 1, not retained",
          m->payloadlen, m->qos, m->retained);
    } else if (version == 5) {
      MQTTProperty* p = MQTTProperties_getProperty(&m->properties,
          MQTTPROPERTY_CODE_USER_PROPERTY);
      if (!p || p->value.data.len != 4 || memcmp(p->value.data.data, "will", 4) != 0) {
        failed("will: its user property did not come with it");
      }
    }
    done(&m, &t);
  }
  disconnect(&watcher);
}

/* --- session --- */

/*
 * Session present as Paho C's synchronous client reports it: it reads the CONNACK flag only for
 * MQTT 3.1.1 (MQTTClient_connectOptions.returned, "if the MQTT version is 3.1.1"), so for MQTT 5
 * there is nothing to check here; the resumed session shows in the messages it gets.
 */
static void check_present(const char* when, int present, int want) {
  if (version == 4 && present != want) {
    failed("%s: session present %d, not %d", when, present, want);
  }
}

static void scenario_session(void) {
  Options persistent = {.clean = 0, .session_expiry = 60};
  Options first = {.clean = 1, .session_expiry = 60};
  int present = -1;
  /* MQTT 3.1.1 has no clean start, so it starts without cleaning: its id is new. */
  MQTTClient sub = connect_as("sub", version == 5 ? first : persistent, &present);
  check_present("first connection of a new client id", present, 0);
  subscribe(sub, topic("offline"), 1);
  disconnect(&sub);

  MQTTClient pub = connect_clean("pub");
  const char* sent[] = {"m1", "m2", "m3"};
  for (int i = 0; i < 3; i++) {
    publish_text(pub, topic("offline"), sent[i], 1, 0);
  }
  disconnect(&pub);

  sub = connect_as("sub", persistent, &present);
  check_present("resumed session", present, 1);
  for (int i = 0; i < 3; i++) {
    char* t;
    MQTTClient_message* m = receive(sub, &t);
    if (!m) {
      failed("resumed session: message %s, published while offline, did not come", sent[i]);
      break;
    }
    if (!is_text(m, sent[i]) || m->qos != 1) {
      failed("resumed session: message %d is %.*s at QoS %d, not %s at QoS 1", i + 1,
          m->payloadlen, (char*) m->payload, m->qos, sent[i]);
    }
    done(&m, &t);
  }
  disconnect(&sub);

  sub = connect_as("sub", (Options) {.clean = 1}, &present);
  check_present("clean connection", present, 0);
  disconnect(&sub);
}

/* --- properties (MQTT 5) --- */

static void add_string(MQTTProperties* props, enum MQTTPropertyCodes code, const char* s,
    int len) {
  MQTTProperty p = {.identifier = code};
  p.value.data = (MQTTLenString) {len, (char*) s};
  MQTTProperties_add(props, &p);
}

static void add_user(MQTTProperties* props, const char* name, const char* value) {
  MQTTProperty p = {.identifier = MQTTPROPERTY_CODE_USER_PROPERTY};
  p.value.data = (MQTTLenString) {(int) strlen(name), (char*) name};
  p.value.value = (MQTTLenString) {(int) strlen(value), (char*) value};
  MQTTProperties_add(props, &p);
}

static int same(const MQTTProperty* p, const char* s, int len) {
  return p && p->value.data.len == len && memcmp(p->value.data.data, s, len) == 0;
}

static const char correlation[] = {0, 1, 'c', 'o', 'r', 'r', (char) 0xff};

static void scenario_properties(void) {
  MQTTClient responder = connect_clean("responder");
  subscribe(responder, topic("request"), 1);
  MQTTClient requester = connect_clean("requester");
  subscribe(requester, topic("response"), 1);

  MQTTProperties props = MQTTProperties_initializer;
  add_user(&props, "a", "1");
  add_user(&props, "b", "2");
  add_user(&props, "a", "3");
  MQTTProperty expiry = {.identifier = MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL};
  expiry.value.integer4 = 120;
  MQTTProperties_add(&props, &expiry);
  MQTTProperty format = {.identifier = MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR};
  format.value.byte = 1;
  MQTTProperties_add(&props, &format);
  add_string(&props, MQTTPROPERTY_CODE_CONTENT_TYPE, "text/plain", 10);
  add_string(&props, MQTTPROPERTY_CODE_RESPONSE_TOPIC, topic("response"),
      (int) strlen(topic("response")));
  add_string(&props, MQTTPROPERTY_CODE_CORRELATION_DATA, correlation, sizeof correlation);
  publish(requester, topic("request"), "question", 8, 1, 0, &props);
  MQTTProperties_free(&props);

  char* t;
  MQTTClient_message* m = receive(responder, &t);
  if (!m) {
    failed("responder: no request");
    return;
  }
  MQTTProperties* got = &m->properties;
  const char* users[][2] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  if (MQTTProperties_propertyCount(got, MQTTPROPERTY_CODE_USER_PROPERTY) != 3) {
    failed("request: %d user properties, not 3",
        MQTTProperties_propertyCount(got, MQTTPROPERTY_CODE_USER_PROPERTY));
  } else {
    for (int i = 0; i < 3; i++) {
      MQTTProperty* p = MQTTProperties_getPropertyAt(got, MQTTPROPERTY_CODE_USER_PROPERTY, i);
      if (!same(p, users[i][0], 1) || p->value.value.len != 1
          || p->value.value.data[0] != users[i][1][0]) {
        failed("request: user property %d is not %s=%s (order kept)", i, users[i][0],
            users[i][1]);
      }
    }
  }
  int left = MQTTProperties_getNumericValue(got, MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL);
  if (left < 1 || left > 120) {
    failed("request: message expiry %d, want 1..120", left);
  }
  if (MQTTProperties_getNumericValue(got, MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR) != 1) {
    failed("request: payload format indicator lost");
  }
  if (!same(MQTTProperties_getProperty(got, MQTTPROPERTY_CODE_CONTENT_TYPE), "text/plain", 10)) {
    failed("request: content type lost");
  }
  MQTTProperty* response_topic = MQTTProperties_getProperty(got, MQTTPROPERTY_CODE_RESPONSE_TOPIC);
  MQTTProperty* data = MQTTProperties_getProperty(got, MQTTPROPERTY_CODE_CORRELATION_DATA);
  if (!same(response_topic, topic("response"), (int) strlen(topic("response")))) {
    failed("request: response topic lost");
  }
  if (!same(data, correlation, sizeof correlation)) {
    failed("request: correlation data not intact");
  }
  if (!is_text(m, "question")) {
    failed("request: payload not intact");
  }
  if (response_topic && data) {
    char reply_topic[128];
    snprintf(reply_topic, sizeof reply_topic, "%.*s", response_topic->value.data.len,
        response_topic->value.data.data);
    MQTTProperties reply = MQTTProperties_initializer;
    add_string(&reply, MQTTPROPERTY_CODE_CORRELATION_DATA, data->value.data.data,
        data->value.data.len);
    publish(responder, reply_topic, "answer", 6, 1, 0, &reply);
    MQTTProperties_free(&reply);
    char* rt;
    MQTTClient_message* r = receive(requester, &rt);
    if (!r) {
      failed("requester: no response");
    } else {
      if (!is_text(r, "answer") || !same(MQTTProperties_getProperty(&r->properties,
          MQTTPROPERTY_CODE_CORRELATION_DATA), correlation, sizeof correlation)) {
        failed("requester: response without its payload or correlation data");
      }
      done(&r, &rt);
    }
  }
  done(&m, &t);
  disconnect(&requester);
  disconnect(&responder);
}

/* --- shared --- */

#define SHARED_COUNT 10

/* Counts what reached c on the shared topic until the end marker, into got[i] for message i. */
static void drain(MQTTClient c, const char* who, int* got) {
  for (;;) {
    char* t;
    MQTTClient_message* m = receive(c, &t);
    if (!m) {
      failed("%s: no end message within %ld ms", who, WAIT_MS);
      return;
    }
    int i;
    if (strcmp(t, topic("end")) == 0) {
      done(&m, &t);
      return;
    }
    if (m->payloadlen == 1 && (i = ((char*) m->payload)[0] - '0') >= 0 && i < SHARED_COUNT) {
      got[i]++;
    } else {
      failed("%s: unexpected message on %s", who, t);
    }
    done(&m, &t);
  }
}

static void scenario_shared(void) {
  char filter[160];
  snprintf(filter, sizeof filter, "$share/g%d/%s", (int) getpid(), topic("shared"));
  MQTTClient members[2] = {connect_clean("member1"), connect_clean("member2")};
  MQTTClient plain = connect_clean("plain");
  for (int i = 0; i < 2; i++) {
    subscribe(members[i], filter, 1);
    subscribe(members[i], topic("end"), 1);
  }
  subscribe(plain, topic("shared"), 1);
  subscribe(plain, topic("end"), 1);
  MQTTClient pub = connect_clean("pub");
  for (int i = 0; i < SHARED_COUNT; i++) {
    char payload[2] = {(char) ('0' + i), 0};
    publish_text(pub, topic("shared"), payload, 1, 0);
  }
  publish_text(pub, topic("end"), "end", 1, 0);
  int by_members[SHARED_COUNT] = {0};
  int by_plain[SHARED_COUNT] = {0};
  drain(members[0], "member 1", by_members);
  drain(members[1], "member 2", by_members);
  drain(plain, "plain subscriber", by_plain);
  for (int i = 0; i < SHARED_COUNT; i++) {
    if (by_members[i] != 1) {
      failed("shared message %d reached the group %d times, not once", i, by_members[i]);
    }
    if (by_plain[i] != 1) {
      failed("shared message %d reached the plain subscriber %d times, not once", i,
          by_plain[i]);
    }
  }
  disconnect(&pub);
  disconnect(&plain);
  disconnect(&members[1]);
  disconnect(&members[0]);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int child = argc == 7 && (strcmp(argv[1], "--hold-will") == 0
      || strcmp(argv[1], "--clean-will") == 0);
  if (!child && argc != 5) {
    fprintf(stderr, "usage: check URI VERSION CA_FILE SCENARIO\n");
    return 2;
  }
  uri = argv[child ? 2 : 1];
  version = atoi(argv[child ? 3 : 2]);
  ca = argv[child ? 4 : 3];
  if (child) {
    snprintf(tag, sizeof tag, "%s", argv[5]);
    int clean = strcmp(argv[1], "--clean-will") == 0;
    MQTTClient c = connect_as(clean ? "clean" : "holder",
        (Options) {.clean = 1, .will_topic = argv[6], .will_payload = "gone"}, NULL);
    if (clean) {
      disconnect(&c);
      printf("disconnected\n");
      return 0;
    }
    printf("connected\n");
    sleep(30); /* until the parent kills it */
    return 1;
  }
  const char* scenario = argv[4];
  snprintf(tag, sizeof tag, "pahoc%d-%s-%d", version, scenario, (int) getpid());
  if (strcmp(scenario, "qos") == 0) {
    scenario_qos();
  } else if (strcmp(scenario, "retained") == 0) {
    scenario_retained();
  } else if (strcmp(scenario, "will") == 0) {
    scenario_will();
  } else if (strcmp(scenario, "session") == 0) {
    scenario_session();
  } else if (strcmp(scenario, "properties") == 0 && version == 5) {
    scenario_properties();
  } else if (strcmp(scenario, "shared") == 0) {
    scenario_shared();
  } else {
    fprintf(stderr, "unknown scenario %s for version %d\n", scenario, version);
    return 2;
  }
  printf(failures == 0 ? "ok\n" : "failed\n");
  return failures == 0 ? 0 : 1;
}
