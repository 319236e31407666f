package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.simqtt.config.ClusterSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.PeerServiceGrpc;
import io.simqtt.proto.peer.SharedReturn;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A link asks its peer for replies only as its thread handles them: a reply that takes a while
 * to handle (a page of a large session's state, stored as it comes, with the store's writer
 * full) holds the peer's stream back through gRPC flow control, so what waits on this side stays
 * within a window instead of the peer's whole output. Over an in-process gRPC channel to a peer
 * that sends claim replies as fast as its stream takes them.
 */
class LinkReplyWindowTest {
  private static final int REPLIES = 5_000;

  private Server server;
  private ManagedChannel channel;
  private OutboundLink link;
  private SystemScheduler timer;

  @AfterEach
  void tearDown() {
    if (link != null) {
      link.stop();
      link.close();
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
    if (timer != null) {
      timer.shutdown();
    }
  }

  @Test
  void repliesNotHandledYetHoldThePeerBack() throws Exception {
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean held = new AtomicBoolean();
    String name = "reply-window-" + System.nanoTime();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new PeerServiceGrpc.PeerServiceImplBase() {
          @Override
          public StreamObserver<PeerFrame> link(StreamObserver<PeerReply> replies) {
            ServerCallStreamObserver<PeerReply> out = (ServerCallStreamObserver<PeerReply>) replies;
            out.setOnReadyHandler(() -> {
              while (out.isReady() && sent.get() < REPLIES) {
                out.onNext(PeerReply.newBuilder().setClaimReply(
                    ClaimReply.newBuilder().setClaimId(sent.incrementAndGet())).build());
              }
              held.set(!out.isReady() && sent.get() < REPLIES);
            });
            return new StreamObserver<>() {
              @Override
              public void onNext(PeerFrame frame) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            };
          }
        }).build().start();
    // Direct executors both ways: each reply reaches the link (and, without a window, asks for
    // the next) inside the server's send, so the server's send loop shows what the link asked for.
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();

    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    OutboundLink.Listener listener = new OutboundLink.Listener() {
      @Override
      public void linkUp(OutboundLink l) {}

      @Override
      public void linkDown(String peerId) {}

      @Override
      public void claimReply(String peerId, ClaimReply reply) {
        handled.incrementAndGet();
        try {
          release.await(30, TimeUnit.SECONDS); // the first one takes a while
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void sharedReturned(String peerId, SharedReturn returned) {}
    };
    timer = new SystemScheduler();
    link = new OutboundLink(new PeerAddress("p", "127.0.0.1", 1), channel,
        new Handshake("c", "me", Set.of("p"), "secret"), listener, timer,
        ClusterSettings.Timing.DEFAULTS, 64 << 20, new HeapForwardJournal());
    link.start();

    await(Duration.ofSeconds(10), () -> held.get() || sent.get() == REPLIES,
        () -> "the peer sent " + sent);
    assertTrue(held.get() && sent.get() <= 65,
        sent + " replies sent while the link's thread handled one: not held back");
    release.countDown();
    await(Duration.ofSeconds(30), () -> handled.get() == REPLIES,
        () -> handled + " of " + REPLIES + " replies handled");
  }
}
