package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.http.HttpLimits;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.RawHttp;
import dev.streamfit.testkit.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The serving stage against slow, stalled and malformed clients: other clients' predictions are still answered
 * within 2 s, and each framing error is a 4xx within the read deadline.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HostileClientsTest {
  static final Duration DEADLINE = Duration.ofMillis(1500);
  static ServingStage serving;
  static Fixtures.Client client;
  static byte[] hat;

  @BeforeAll
  static void start(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("hostile-", 1, (short) 1);
    serving = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withTopicInference(false)
        .withHttp(HttpLimits.defaults().withTimeouts(DEADLINE, DEADLINE)));
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
    }
    await("v1 active", () -> serving.active() != null);
    client = new Fixtures.Client(serving.port());
    hat = TestImages.sampleJpeg("test", "hat");
  }

  @AfterAll
  static void stop() {
    if (serving != null) {
      serving.close();
    }
  }

  private static long predictMillis() throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = client.post("/v1/predict", hat);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  @Test
  void slowlorisAndStalledBodiesDoNotStopOtherPredictions() throws Exception {
    List<RawHttp> slow = new ArrayList<>();
    List<RawHttp> stalled = new ArrayList<>();
    String head = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nX-Padding: aaaaaaaaaaaaaaaa\r\n";
    try {
      for (int i = 0; i < 70; i++) {
        slow.add(new RawHttp(serving.port(), 10_000));
      }
      for (int i = 0; i < 200; i++) {
        stalled.add(new RawHttp(serving.port(), 10_000).send("POST /v1/predict HTTP/1.1\r\nHost: x\r\n"
            + "Content-Length: 100000\r\n\r\n"));
      }
      // Headers a byte at a time, for longer than the header deadline, predictions in between.
      for (int k = 0; k < head.length(); k++) {
        for (RawHttp s : slow) {
          try {
            s.send(head.substring(k, k + 1));
          } catch (IOException e) {
            // cut off at the deadline: expected
          }
        }
        if (k % 8 == 0) {
          assertThat(predictMillis()).as("a prediction while 270 clients stall").isLessThan(2000);
        }
        Thread.sleep(40);
      }
      RawHttp.Reply cut = stalled.get(0).read();
      assertThat(cut.status()).isEqualTo(408);
      assertThat(cut.body()).contains("http.body-timeout-ms");
      RawHttp.Reply slowCut = slow.get(0).read();
      assertThat(slowCut.status()).isEqualTo(408);
      assertThat(slowCut.body()).contains("http.header-timeout-ms");
    } finally {
      for (RawHttp s : slow) {
        s.close();
      }
      for (RawHttp s : stalled) {
        s.close();
      }
    }
    assertThat(predictMillis()).isLessThan(2000);
    assertThat(client.get("/metrics").body()).contains("reason=\"timeout\",source=\"http\"");
  }

  @Test
  void eachFramingErrorIsA4xxWithinTheReadDeadline() throws Exception {
    Map<String, Integer> cases = new LinkedHashMap<>();
    cases.put("POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\nabc\r\n", 400);
    cases.put("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nshort body", 408);
    cases.put("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(1 << 20) + "\r\n\r\n", 431);
    StringBuilder many = new StringBuilder("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 300; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    cases.put(many.append("\r\n").toString(), 431);
    cases.put("POST /v1/models:activate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 404);
    cases.put("POST /v1/models/:activate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 404);
    for (Map.Entry<String, Integer> c : cases.entrySet()) {
      String what = c.getKey().substring(0, Math.min(70, c.getKey().length())).replace("\r\n", " | ");
      long t0 = System.nanoTime();
      try (RawHttp raw = new RawHttp(serving.port(), 10_000)) {
        raw.send(c.getKey());
        RawHttp.Reply r = raw.read();
        assertThat(r.status()).as(what + " → " + r.body()).isEqualTo(c.getValue());
        assertThat(r.body()).as(what).contains("\"error\"", "\"message\"");
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as(what)
          .isLessThan(DEADLINE.toMillis() + 1000);
      assertThat(predictMillis()).as("after " + what).isLessThan(2000);
    }
  }

  @Test
  void anAbsoluteFormTargetIsItsPathAndAShortBodyThenAHalfCloseIsA400() throws Exception {
    try (RawHttp raw = new RawHttp(serving.port(), 10_000)) {
      raw.send(("POST http://127.0.0.1:" + serving.port() + "/v1/predict?top=2 HTTP/1.1\r\nHost: x\r\nContent-Length: "
          + hat.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)).send(hat);
      RawHttp.Reply r = raw.read();
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"predictions\"");
    }
    try (RawHttp raw = new RawHttp(serving.port(), 10_000)) { // 400 at the half-close, not 408 at the body deadline
      raw.send("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nshort body").halfClose();
      RawHttp.Reply r = raw.read();
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.body()).contains("bad_request", "(10 of 5000 bytes)");
    }
  }

  @Test
  void aHugeMultipartBoundaryIsRefusedAtOnce() throws Exception {
    String boundary = "b".repeat(8192);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    byte[] filler = ("\r\n--" + "b".repeat(8191) + "c").getBytes(StandardCharsets.ISO_8859_1); // near-misses
    while (body.size() < 4 << 20) {
      body.write(filler);
    }
    long t0 = System.nanoTime();
    HttpResponse<String> r = client.http.send(client.req("/v1/predict")
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("RFC 2046 allows 1 to 70");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
  }
}
