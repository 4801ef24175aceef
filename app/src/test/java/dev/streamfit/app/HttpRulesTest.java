package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestServer;
import dev.streamfit.ingest.IngestStage;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ServingConfig;
import dev.streamfit.serving.ServingStage;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One set of HTTP error rules for both servers, asserted over each: the same request mistake gets the same status
 * and error code from ingest ({@code POST /v1/images}) and serving ({@code POST /v1/predict}), as JSON
 * {@code {"error", "message"}} whose message names what to fix.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HttpRulesTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int CAP = 1024 * 1024;

  /** A server under test: its base URL, its one-image upload path and a query parameter it reads as a number or name. */
  record Server(String name, String base, String upload, String badParam, String paramKey) {}

  @Test
  void bothServersAnswerTheSameMistakesTheSameWay(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("http-rules-", 1, (short) 1);
    IngestConfig ingestConfig = IngestConfig.of(broker.bootstrapServers(), topics, null).withMaxImageBytes(CAP);
    ServingConfig servingConfig = ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withTopicInference(false)
        .withMaxBodyBytes(CAP);
    try (IngestServer ingest = new IngestStage(ingestConfig).serveHttp("127.0.0.1", 0);
        ServingStage serving = ServingStage.start(servingConfig)) {
      publishModel(broker.bootstrapServers(), topics); // serving refuses content only once it has a model to read it for
      long deadline = System.currentTimeMillis() + 60_000;
      while (serving.active() == null && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertThat(serving.active()).as("a model is active").isNotNull();
      List<Server> servers = List.of(
          new Server("ingest", "http://127.0.0.1:" + ingest.port(), "/v1/images?label=hat", "split=bogus", "split"),
          new Server("serving", "http://127.0.0.1:" + serving.port(), "/v1/predict", "k=abc", "k"));
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      byte[] hat = TestImages.sampleJpeg("test", "hat");
      List<String> seen = new ArrayList<>();
      for (Server s : servers) {
        String up = s.base() + s.upload();
        String sep = up.contains("?") ? "&" : "?";
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(up)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        check(s, "wrong method", get, 405, "method_not_allowed", "POST");
        assertThat(get.headers().firstValue("Allow")).as(s.name()).contains("POST");
        check(s, "unknown path", post(http, s.base() + "/v1/nowhere", hat, null), 404, "not_found", "/v1/nowhere");
        check(s, "two files", multipart(http, up, List.of(hat, hat)), 400, "bad_request", "exactly one file");
        check(s, "no file", multipart(http, up, List.of()), 400, "bad_request", "exactly one file");
        check(s, "malformed multipart", post(http, up, "garbage".getBytes(), "multipart/form-data; boundary=xyz"), 400,
            "bad_request", "malformed multipart");
        check(s, "boundary too long", post(http, up, hat, "multipart/form-data; boundary=" + "b".repeat(71)), 400,
            "bad_request", "boundary");
        check(s, "bad query value", post(http, up + sep + s.badParam(), hat, null), 400, "bad_request",
            "query parameter " + s.paramKey());
        try (dev.streamfit.testkit.RawHttp raw = new dev.streamfit.testkit.RawHttp(URI.create(s.base()).getPort(), 10_000)) {
          // java.net.URI refuses a malformed escape; a raw client sends it as is
          dev.streamfit.testkit.RawHttp.Reply r = raw.send("POST " + s.upload() + sep + s.paramKey() + "=%zz HTTP/1.1\r\n"
              + "Host: x\r\nContent-Length: 3\r\n\r\nabc").read();
          String as = s.name() + ": malformed escape → " + r.body();
          assertThat(r.status()).as(as).isEqualTo(400);
          assertThat(JSON.readTree(r.body()).get("error").asText()).as(as).isEqualTo("bad_request");
          assertThat(JSON.readTree(r.body()).get("message").asText()).as(as).contains("query parameter " + s.paramKey());
        }
        check(s, "body over the cap", post(http, up, new byte[CAP + 1], null), 413, "too_large", "set --");
        check(s, "not an image", post(http, up, "not an image".getBytes(), null), 415, "unsupported_format", "");
        check(s, "truncated image", post(http, up, TestImages.hostile().get("truncated"), null), 422, "corrupt_image", "");
        seen.add(s.name());
      }
      assertThat(seen).containsExactly("ingest", "serving");
    }
  }

  static void publishModel(String bootstrap, Topics topics) throws Exception {
    List<String> labels = List.of("hat", "pants");
    byte[] bytes = dev.streamfit.engine.Models.toBytes(dev.streamfit.engine.Models.newClassifier(
        dev.streamfit.engine.BaseModel.SCRATCH_CNN, dev.streamfit.engine.TrainingSpec.adam(
            dev.streamfit.engine.HeadSpec.SOFTMAX, 1e-3), labels, 1, 32), false);
    dev.streamfit.schemas.ModelVersion mv = dev.streamfit.schemas.ModelVersion.newBuilder().setModelName("rules")
        .setVersion(1).setCreatedAt(java.time.Instant.now()).setFormat(dev.streamfit.engine.Models.FORMAT)
        .setModelBytes(java.nio.ByteBuffer.wrap(bytes)).setSha256(dev.streamfit.common.Hashes.sha256Hex(bytes))
        .setLabels(List.copyOf(labels)).setInput(dev.streamfit.engine.InputContract.square(32).toSpec())
        .setMetrics(java.util.Map.of()).setProvenance(dev.streamfit.schemas.Provenance.newBuilder()
            .setBaseModel("scratch-cnn").setRunSeed(1).setConfig(java.util.Map.of()).setOffsets(List.of()).setSteps(1)
            .setSamplesTrained(1).setParentVersion(null).build()).build();
    try (var p = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(java.util.Map.of(
        "bootstrap.servers", bootstrap, "max.request.size", Topics.MODEL_MAX_BYTES),
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topics.models(), "rules@1",
          dev.streamfit.schemas.AvroSerde.of(dev.streamfit.schemas.ModelVersion.class).encode(mv))).get();
    }
  }

  static void check(Server s, String what, HttpResponse<String> r, int status, String code, String mentions)
      throws Exception {
    String as = s.name() + ": " + what + " → " + r.body();
    assertThat(r.statusCode()).as(as).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).as(as).contains("application/json");
    JsonNode b = JSON.readTree(r.body());
    assertThat(b.size()).as(as).isEqualTo(2);
    assertThat(b.get("error").asText()).as(as).isEqualTo(code);
    assertThat(b.get("message").asText()).as(as).contains(mentions).isNotBlank();
  }

  static HttpResponse<String> post(HttpClient http, String url, byte[] body, String type) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (type != null) {
      b.header("Content-Type", type);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> multipart(HttpClient http, String url, List<byte[]> files) throws Exception {
    dev.streamfit.testkit.MultipartBody body = dev.streamfit.testkit.MultipartBody.of(files, true);
    return post(http, url, body.bytes(), body.contentType());
  }
}
