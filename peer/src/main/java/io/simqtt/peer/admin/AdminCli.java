package io.simqtt.peer.admin;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.simqtt.proto.admin.AdminServiceGrpc;
import io.simqtt.proto.admin.AdminServiceGrpc.AdminServiceBlockingStub;
import io.simqtt.proto.admin.ConnectionState;
import io.simqtt.proto.admin.DeleteRetainedRequest;
import io.simqtt.proto.admin.GetClientRequest;
import io.simqtt.proto.admin.GetMetricsRequest;
import io.simqtt.proto.admin.GetRetainedRequest;
import io.simqtt.proto.admin.GetStatusRequest;
import io.simqtt.proto.admin.KickClientRequest;
import io.simqtt.proto.admin.ListClientsRequest;
import io.simqtt.proto.admin.ListRetainedRequest;
import io.simqtt.proto.admin.ListSubscriptionsRequest;
import io.simqtt.proto.admin.MessageProperties;
import io.simqtt.proto.admin.NodeReload;
import io.simqtt.proto.admin.PublishRequest;
import io.simqtt.proto.admin.ReloadRequest;
import io.simqtt.proto.admin.UserProperty;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/admin.sh}: one subcommand per AdminService call. Tables for people, {@code --json}
 * (protobuf's JSON mapping) for scripts. Exit 0 on success, 1 when the call fails (one line:
 * {@code si-mqtt-admin: CODE: message}; PERMISSION_DENIED when a read-only token asked for a
 * change), 2 for bad usage.
 */
@Command(
    name = "admin.sh",
    mixinStandardHelpOptions = true,
    description = "Operates a running si-mqtt node (or its cluster) over the gRPC admin API.",
    subcommands = {
      AdminCli.Status.class, AdminCli.Clients.class, AdminCli.ClientCmd.class,
      AdminCli.Kick.class, AdminCli.Subscriptions.class, AdminCli.Retained.class,
      AdminCli.RetainedGet.class, AdminCli.RetainedDelete.class, AdminCli.Publish.class,
      AdminCli.Metrics.class, AdminCli.Reload.class
    })
public final class AdminCli {
  static final String NAME = "si-mqtt-admin";
  static final int EXIT_FAILED = 1;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new AdminCli());
    cli.setOut(out).setErr(err);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof StatusRuntimeException s) {
        String desc = s.getStatus().getDescription();
        cmd.getErr().println(NAME + ": " + s.getStatus().getCode()
            + (desc == null ? "" : ": " + desc)
            + (s.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED
                ? " (give the admin token: --token or SIMQTT_ADMIN_TOKEN)" : ""));
      } else {
        cmd.getErr().println(NAME + ": " + e.getMessage());
      }
      return EXIT_FAILED;
    });
    return cli.execute(args);
  }

  /** Options every subcommand takes. */
  static final class Connection {
    @Option(names = "--node", defaultValue = "127.0.0.1:9090",
        description = "host:port of a node's admin API (default: ${DEFAULT-VALUE})")
    String node;

    @Option(names = "--token", defaultValue = "${env:SIMQTT_ADMIN_TOKEN}",
        description = "bearer token (default: the SIMQTT_ADMIN_TOKEN variable)")
    String token;

    @Option(names = "--json", description = "print the answer as JSON")
    boolean json;

    @Option(names = "--tls", description = "call over TLS, trusting the system's CAs")
    boolean tls;

    @Option(names = "--ca", paramLabel = "FILE",
        description = "call over TLS, trusting the CA certificates in this PEM file")
    java.io.File ca;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /** Calls the node, prints the answer as JSON or with {@code table}; returns the exit code. */
    <T extends MessageOrBuilder> int call(
        Function<AdminServiceBlockingStub, T> rpc, Function<T, String> table) throws Exception {
      return call(rpc, table, answer -> 0);
    }

    /** {@link #call(Function, Function)} with the exit code read from the answer. */
    <T extends MessageOrBuilder> int call(Function<AdminServiceBlockingStub, T> rpc,
        Function<T, String> table, ToIntFunction<T> exitCode) throws Exception {
      int colon = node.lastIndexOf(':');
      if (colon <= 0) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--node must be host:port, not '" + node + "'");
      }
      NettyChannelBuilder b = NettyChannelBuilder
          .forAddress(node.substring(0, colon), Integer.parseInt(node.substring(colon + 1)));
      if (tls || ca != null) {
        b.sslContext(ca == null ? GrpcSslContexts.forClient().build()
            : GrpcSslContexts.forClient().trustManager(ca).build());
      } else {
        b.usePlaintext();
      }
      ManagedChannel ch = b.build();
      try {
        AdminServiceBlockingStub stub = AdminServiceGrpc.newBlockingStub(ch)
            .withDeadlineAfter(10, TimeUnit.SECONDS);
        if (token != null && !token.isEmpty()) {
          Metadata h = new Metadata();
          h.put(BearerToken.AUTHORIZATION, BearerToken.SCHEME + token);
          stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
        }
        T answer = rpc.apply(stub);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(answer) + "\n" : table.apply(answer));
        out.flush();
        return exitCode.applyAsInt(answer);
      } finally {
        ch.shutdownNow();
      }
    }

    private static String json(MessageOrBuilder m) throws InvalidProtocolBufferException {
      return JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(m);
    }
  }

  @Command(name = "status", description = "Nodes, links and their state, uptime, version.")
  static final class Status implements Callable<Integer> {
    @Mixin Connection c;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.getStatus(GetStatusRequest.getDefaultInstance()), Tables::status);
    }
  }

  @Command(name = "clients", description = "Sessions in the cluster, a page at a time.")
  static final class Clients implements Callable<Integer> {
    @Mixin Connection c;
    @Option(names = "--prefix", defaultValue = "", description = "client id prefix") String prefix;
    @Option(names = "--on-node", defaultValue = "", description = "only this node id") String on;
    @Option(names = "--state", defaultValue = "ANY", description = "ANY, CONNECTED or OFFLINE")
    ConnectionState state;
    @Option(names = "--page-size", defaultValue = "0") int pageSize;
    @Option(names = "--page-token", defaultValue = "") String pageToken;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.listClients(ListClientsRequest.newBuilder()
          .setClientIdPrefix(prefix).setNodeId(on).setState(state)
          .setPageSize(pageSize).setPageToken(pageToken).build()), Tables::clients);
    }
  }

  @Command(name = "client", description = "One client: address, version, session, subscriptions.")
  static final class ClientCmd implements Callable<Integer> {
    @Mixin Connection c;
    @Parameters(paramLabel = "CLIENT_ID") String clientId;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.getClient(GetClientRequest.newBuilder().setClientId(clientId).build()),
          Tables::client);
    }
  }

  @Command(name = "kick", description = "Disconnects a client (DISCONNECT 0x98 on MQTT 5).")
  static final class Kick implements Callable<Integer> {
    @Mixin Connection c;
    @Parameters(paramLabel = "CLIENT_ID") String clientId;
    @Option(names = "--discard-session", description = "end its session too") boolean discard;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.kickClient(KickClientRequest.newBuilder().setClientId(clientId)
          .setDiscardSession(discard).build()), Tables::kick);
    }
  }

  @Command(name = "subscriptions",
      description = "Subscriptions of a client, with a filter, or matching a topic.")
  static final class Subscriptions implements Callable<Integer> {
    @Mixin Connection c;
    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1") Selector selector;
    @Option(names = "--limit", defaultValue = "0") int limit;

    static final class Selector {
      @Option(names = "--client", required = true) String client;
      @Option(names = "--filter", required = true) String filter;
      @Option(names = "--topic", required = true) String topic;
    }

    @Override
    public Integer call() throws Exception {
      ListSubscriptionsRequest.Builder r = ListSubscriptionsRequest.newBuilder().setLimit(limit);
      if (selector.client != null) {
        r.setClientId(selector.client);
      } else if (selector.filter != null) {
        r.setFilter(selector.filter);
      } else {
        r.setTopic(selector.topic);
      }
      return c.call(s -> s.listSubscriptions(r.build()), Tables::subscriptions);
    }
  }

  @Command(name = "retained", description = "Retained messages matching a filter (default #).")
  static final class Retained implements Callable<Integer> {
    @Mixin Connection c;
    @Parameters(paramLabel = "FILTER", defaultValue = "#") String filter;
    @Option(names = "--page-size", defaultValue = "0") int pageSize;
    @Option(names = "--page-token", defaultValue = "") String pageToken;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.listRetained(ListRetainedRequest.newBuilder().setFilter(filter)
          .setPageSize(pageSize).setPageToken(pageToken).build()), Tables::retained);
    }
  }

  @Command(name = "retained-get", description = "The retained message of one topic.")
  static final class RetainedGet implements Callable<Integer> {
    @Mixin Connection c;
    @Parameters(paramLabel = "TOPIC") String topic;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.getRetained(GetRetainedRequest.newBuilder().setTopic(topic).build()),
          Tables::retainedOne);
    }
  }

  @Command(name = "retained-delete", description = "Clears a retained message on every node.")
  static final class RetainedDelete implements Callable<Integer> {
    @Mixin Connection c;
    @Parameters(paramLabel = "TOPIC") String topic;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.deleteRetained(
          DeleteRetainedRequest.newBuilder().setTopic(topic).build()),
          r -> "deleted retained message on " + topic + "\n");
    }
  }

  @Command(name = "publish", description = "Publishes a message as the broker.")
  static final class Publish implements Callable<Integer> {
    @Mixin Connection c;
    @Parameters(index = "0", paramLabel = "TOPIC") String topic;
    @Parameters(index = "1", paramLabel = "PAYLOAD", defaultValue = "") String payload;
    @Option(names = {"-q", "--qos"}, defaultValue = "0") int qos;
    @Option(names = {"-r", "--retain"}) boolean retain;
    @Option(names = "--content-type", defaultValue = "") String contentType;
    @Option(names = "--response-topic", defaultValue = "") String responseTopic;
    @Option(names = "--expiry", defaultValue = "0", description = "message expiry, seconds")
    int expiry;
    @Option(names = "--user-property", description = "name=value, repeatable")
    List<String> userProperties = List.of();

    @Override
    public Integer call() throws Exception {
      MessageProperties.Builder p = MessageProperties.newBuilder()
          .setContentType(contentType).setResponseTopic(responseTopic)
          .setMessageExpiryInterval(expiry);
      for (String up : userProperties) {
        int eq = up.indexOf('=');
        if (eq < 0) {
          throw new CommandLine.ParameterException(c.spec.commandLine(),
              "--user-property must be name=value, not '" + up + "'");
        }
        p.addUserProperties(UserProperty.newBuilder()
            .setName(up.substring(0, eq)).setValue(up.substring(eq + 1)));
      }
      PublishRequest r = PublishRequest.newBuilder().setTopic(topic)
          .setPayload(ByteString.copyFromUtf8(payload)).setQos(qos).setRetain(retain)
          .setProperties(p).build();
      return c.call(s -> s.publish(r), a -> "published to " + a.getReceivers() + " receivers\n");
    }
  }

  @Command(name = "metrics", description = "Counters per node and for the cluster.")
  static final class Metrics implements Callable<Integer> {
    @Mixin Connection c;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.getMetrics(GetMetricsRequest.getDefaultInstance()), Tables::metrics);
    }
  }

  @Command(name = "reload",
      description = "Every node re-reads its password and ACL files and its TLS certificate"
          + " files (as on SIGHUP); exit 1 when one kept its previous rules or certificate (a"
          + " broken file) or did not answer.")
  static final class Reload implements Callable<Integer> {
    @Mixin Connection c;

    @Override
    public Integer call() throws Exception {
      return c.call(s -> s.reload(ReloadRequest.getDefaultInstance()), Tables::reload,
          r -> r.getMissingNodesCount() == 0
              && r.getNodesList().stream()
                  .allMatch(n -> n.getReloaded() && n.getTlsProblemsCount() == 0)
              ? 0 : EXIT_FAILED);
    }
  }
}
