package io.simqtt.peer;

import io.simqtt.core.auth.Access;
import io.simqtt.core.auth.Action;
import io.simqtt.core.auth.Authorizer;
import io.simqtt.core.auth.ClientAccess;
import io.simqtt.core.auth.ClientIdentity;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * An authorizer plug-in that asks an HTTP service for each client, as a deployment's HTTP
 * authorizer would: the node process loads it from a jar that only names it ({@link
 * HttpAuthorizerStub#pluginConfig}), and finds the service at the URL of the system property
 * {@value #URL_PROPERTY}. An answer other than 200, or none within its timeouts, fails the
 * question (the client's permissions are then unknown, or its CONNECT refused). A 200 lists, one
 * per line, the topic prefixes the client may not receive; it may do everything else.
 */
public final class StubHttpAuthorizer implements Authorizer {
  static final String URL_PROPERTY = "simqtt.test.authorizer";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final String url = System.getProperty(URL_PROPERTY);

  @Override
  public String name() {
    return "stub-http";
  }

  @Override
  public ClientAccess accessFor(ClientIdentity client) {
    HttpRequest ask = HttpRequest.newBuilder(URI.create(
            url + "?client=" + URLEncoder.encode(client.clientId(), StandardCharsets.UTF_8)))
        .timeout(TIMEOUT)
        .build();
    HttpResponse<String> answer;
    try {
      answer = http.send(ask, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("the authorization service did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted asking the authorization service", e);
    }
    if (answer.statusCode() != 200) {
      throw new IllegalStateException("the authorization service answered "
          + answer.statusCode());
    }
    List<String> denied = answer.body().lines().filter(l -> !l.isEmpty()).toList();
    return (action, topic, qos, retain) ->
        action == Action.RECEIVE && denied.stream().anyMatch(topic::startsWith)
            ? Access.DENY
            : Access.ALLOW;
  }
}
