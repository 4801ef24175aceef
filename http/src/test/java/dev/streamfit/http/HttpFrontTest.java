package dev.streamfit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.testkit.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The front against clients that are slow, stalled, malformed or greedy; a real server on a real socket. */
class HttpFrontTest {
  private static final int MAX_BODY = 1024 * 1024;
  private final ConcurrentLinkedQueue<String> rejected = new ConcurrentLinkedQueue<>();
  private final AtomicInteger handled = new AtomicInteger();
  private HttpFront front;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws IOException {
    start(HttpLimits.defaults().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1))
        .withMaxInFlightBytes(4L * MAX_BODY), 4);
  }

  private void start(HttpLimits limits, int workers) throws IOException {
    if (front != null) {
      front.close();
    }
    front = HttpFront.start(new HttpFront.Spec("test", "127.0.0.1", 0, limits, MAX_BODY, "test.max-body-bytes", "--test-max-body", workers),
        r -> {
          handled.incrementAndGet();
          if (r.path().equals("/slow")) {
            Thread.sleep(300);
          }
          String q = r.query("q");
          return Response.json(200, ("{\"path\":\"" + r.path() + "\",\"bytes\":" + r.body().length + ",\"q\":\""
              + (q == null ? "" : q) + "\"}").getBytes(StandardCharsets.UTF_8));
        }, rejected::add);
  }

  @AfterEach
  void stop() {
    if (front != null) {
      front.close();
    }
  }

  private HttpResponse<String> probe() throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/probe?q=a%20b"))
        .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.ofString("hello")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersWholeRequestsWithQueryAndBodyAndKeepsConnectionsAlive() throws Exception {
    HttpResponse<String> r = probe();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"path\":\"/probe\"", "\"bytes\":5", "\"q\":\"a b\"");
    try (RawHttp raw = new RawHttp(front.port(), 5000)) {
      // two pipelined requests on one connection, the first slow: answered in order
      raw.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(raw.read().body()).contains("/slow", "\"bytes\":3");
      assertThat(raw.read().body()).contains("/fast", "\"bytes\":0");
      // chunked body
      raw.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
      assertThat(raw.read().body()).contains("\"bytes\":5");
    }
    assertThat(front.inFlightBytes()).isZero();
  }

  @Test
  void slowAndStalledClientsDoNotDelayOthers() throws Exception {
    List<RawHttp> attackers = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) { // headers, a byte at a time
        attackers.add(new RawHttp(front.port(), 5000).send("P"));
      }
      for (int i = 0; i < 200; i++) { // a declared body that never comes
        attackers.add(new RawHttp(front.port(), 5000).send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
      }
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 100; i++) {
          attackers.get(i).send("O");
        }
        long t0 = System.nanoTime();
        HttpResponse<String> r = probe();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(2));
      }
      // the stalled ones are cut off at their deadline with 408, not left holding anything
      RawHttp.Reply stalled = attackers.get(150).read();
      assertThat(stalled.status()).isEqualTo(408);
      assertThat(stalled.body()).contains("http.body-timeout-ms=1000");
    } finally {
      for (RawHttp a : attackers) {
        a.close();
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (front.inFlightBytes() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(front.inFlightBytes()).isZero();
    assertThat(rejected).contains("timeout");
  }

  @Test
  void eachFramingErrorGets4xxWithinTheReadDeadline() throws Exception {
    Map<String, Integer> cases = new java.util.LinkedHashMap<>();
    cases.put("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", 400);
    cases.put("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort", 408);
    cases.put("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
    cases.put("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n", 400);
    cases.put("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400);
    cases.put("GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(1024 * 1024) + "\r\n\r\n", 431);
    StringBuilder many = new StringBuilder("GET /x HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 300; i++) {
      many.append("X-").append(i).append(": v\r\n");
    }
    cases.put(many.append("\r\n").toString(), 431);
    cases.put("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
    cases.put("NOT HTTP AT ALL\r\n\r\n", 400);
    cases.put("GET /x HTTP/1.1\r\nHost: x", 408); // headers never end
    cases.put("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n", 413);
    for (Map.Entry<String, Integer> c : cases.entrySet()) {
      long t0 = System.nanoTime();
      try (RawHttp raw = new RawHttp(front.port(), 5000)) {
        String what = c.getKey().substring(0, Math.min(60, c.getKey().length()));
        raw.send(c.getKey());
        RawHttp.Reply r;
        try {
          r = raw.read();
        } catch (IOException e) {
          throw new AssertionError(what + ": " + e, e);
        }
        assertThat(r.status()).as(what).isEqualTo(c.getValue());
        assertThat(r.body()).as(what).contains("\"error\"", "\"message\"");
        assertThat(System.nanoTime() - t0).as(what).isLessThan(TimeUnit.SECONDS.toNanos(3));
      }
    }
    assertThat(handled.get()).isZero();
  }

  @Test
  void anAbsoluteFormTargetIsAnsweredAsItsPath() throws Exception {
    try (RawHttp raw = new RawHttp(front.port(), 5000)) {
      raw.send("POST http://127.0.0.1:" + front.port() + "/v1/predict?q=z HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab");
      RawHttp.Reply r = raw.read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).contains("\"path\":\"/v1/predict\"", "\"bytes\":2", "\"q\":\"z\"");
      raw.send("GET HTTPS://example.org HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(raw.read().body()).contains("\"path\":\"/\"");
      raw.send("GET ftp://example.org/x HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(raw.read().status()).isEqualTo(400);
    }
  }

  @Test
  void aRequestCutShortByAHalfCloseIsAnswered400() throws Exception {
    Map<String, String> cases = Map.of(
        "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort", "(5 of 100 bytes)",
        "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "chunked body",
        "POST /x HTTP/1.1\r\nHost: x\r\nContent-Le", "");
    for (Map.Entry<String, String> c : cases.entrySet()) { // 400 at the half-close, not 408 at the body deadline
      try (RawHttp raw = new RawHttp(front.port(), 5000)) {
        RawHttp.Reply r = raw.send(c.getKey()).halfClose().read();
        assertThat(r.status()).as(c.getKey()).isEqualTo(400);
        assertThat(r.body()).as(c.getKey()).contains("\"error\":\"bad_request\"", c.getValue());
      }
    }
    try (RawHttp raw = new RawHttp(front.port(), 5000)) { // a whole request, then a half-close: answered, then closed
      raw.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
      raw.halfClose();
      assertThat(raw.read().body()).contains("/slow");
      assertThat(raw.read().body()).contains("/fast");
      assertThatThrownBy(raw::read).isInstanceOf(IOException.class);
    }
    assertThat(handled.get()).isEqualTo(2);
  }

  @Test
  void byteBudgetAnswers429InsteadOfHoldingMoreBodies() throws Exception {
    List<RawHttp> holders = new ArrayList<>();
    try {
      // four connections each declare the largest body and send half of it: the budget (4 bodies) is spent
      for (int i = 0; i < 4; i++) {
        holders.add(new RawHttp(front.port(), 5000).send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + MAX_BODY
            + "\r\n\r\n").send(new byte[MAX_BODY / 2]));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (front.inFlightBytes() < 4L * MAX_BODY && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      try (RawHttp raw = new RawHttp(front.port(), 5000)) {
        raw.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
        RawHttp.Reply r = raw.read();
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.headers()).containsEntry("retry-after", "1");
        assertThat(r.body()).contains("http.max-inflight-bytes");
      }
      // a body-less request still passes
      try (RawHttp raw = new RawHttp(front.port(), 5000)) {
        assertThat(raw.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
      }
    } finally {
      for (RawHttp h : holders) {
        h.close();
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (front.inFlightBytes() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(front.inFlightBytes()).isZero();
    assertThat(probe().statusCode()).isEqualTo(200);
  }

  @Test
  void aBodyOverTheCapIsAnswered413AndTheClientReadsIt() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/x"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[3 * MAX_BODY])).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.body()).contains("test.max-body-bytes=" + MAX_BODY);
  }

  @Test
  void manyConcurrentClientsAreAllAnswered() throws Exception {
    start(HttpLimits.defaults(), 2);
    int n = 64;
    CountDownLatch done = new CountDownLatch(n);
    AtomicInteger ok = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Thread t = new Thread(() -> {
        try {
          if (probe().statusCode() == 200) {
            ok.incrementAndGet();
          }
        } catch (Exception e) {
          // counted as not ok
        } finally {
          done.countDown();
        }
      });
      threads.add(t);
      t.start();
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ok.get()).isEqualTo(n);
  }
}
