package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Hostile payloads get a 4xx with a reason and the server keeps answering; unusual valid images get 200. */
@ExtendWith(KafkaBrokerExtension.class)
class BadInputTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int BODY_CAP = 8 * 1024 * 1024;
  static ServingStage serving;
  static Fixtures.Client client;

  @BeforeAll
  static void start(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("bad-input-", 1, (short) 1);
    serving = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withTopicInference(false)
        .withMaxBodyBytes(BODY_CAP));
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
    }
    await("v1 active", () -> serving.active() != null);
    client = new Fixtures.Client(serving.port());
  }

  @AfterAll
  static void stop() {
    if (serving != null) {
      serving.close();
    }
  }

  @Test
  void hostilePayloadsGet4xxWithAReason() throws Exception {
    Map<String, String> expected = new java.util.HashMap<>(Map.of("empty", "422 empty", "random", "415 unsupported_format",
        "truncated", "422 corrupt_image", "header-only", "422 corrupt_image",
        "declared-huge", "422 dimensions_too_large", "bomb", "422 dimensions_too_large",
        "gif", "415 unsupported_format", "tiff", "415 unsupported_format"));
    expected.putAll(Map.of("ihdr-disagrees", "422 corrupt_image", "ihdr-not-first", "422 corrupt_image",
        "many-scans", "422 decode_cost", "truncated-with-trailer", "422 corrupt_image"));
    for (Map.Entry<String, byte[]> e : TestImages.hostile().entrySet()) {
      HttpResponse<String> r = client.post("/v1/predict", e.getValue());
      JsonNode body = JSON.readTree(r.body());
      assertThat(r.statusCode() + " " + body.get("error").asText()).as(e.getKey() + ": " + r.body())
          .isEqualTo(expected.get(e.getKey()));
      assertThat(body.get("message").asText()).as(e.getKey()).isNotBlank();
      assertThat(client.post("/v1/predict", TestImages.sampleJpeg("test", "hat")).statusCode()).as("after " + e.getKey())
          .isEqualTo(200);
    }
    HttpResponse<String> malformed = client.http.send(client.req("/v1/predict")
        .header("Content-Type", "multipart/form-data; boundary=xyz")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("no parts here")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(malformed.statusCode()).isEqualTo(400);
    HttpResponse<String> big = client.post("/v1/predict", new byte[BODY_CAP + 1]);
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(big.body()).contains("\"error\":\"too_large\"").contains("max-body-bytes=" + BODY_CAP);
    assertThat(client.post("/v1/predict", TestImages.sampleJpeg("test", "hat")).statusCode()).isEqualTo(200);
    assertThat(client.get("/v1/predict").statusCode()).isEqualTo(405);
    assertThat(client.get("/nope").statusCode()).isEqualTo(404);
    assertThat(client.get("/metrics").body()).contains("reason=\"corrupt_image\"").contains("reason=\"too_large\"");
    assertThat(client.post("/v1/predict", TestImages.sampleJpeg("test", "hat")).statusCode()).isEqualTo(200);
  }

  @Test
  void unusualButValidImagesAreClassified() throws Exception {
    Map<String, byte[]> valid = new java.util.LinkedHashMap<>(TestImages.unusual());
    valid.putAll(TestImages.phoneStyle());
    valid.put("webp-lossy", webp(50, 30, 80));
    valid.put("webp-lossless", webp(50, 30, 101));
    for (Map.Entry<String, byte[]> e : valid.entrySet()) {
      HttpResponse<String> r = client.post("/v1/predict?k=2", e.getValue());
      assertThat(r.statusCode()).as(e.getKey() + ": " + r.body()).isEqualTo(200);
      assertThat(JSON.readTree(r.body()).get("predictions")).as(e.getKey()).hasSize(2);
    }
  }

  @Test
  void multipartAndBatchRequestsAnswerPerImage() throws Exception {
    byte[] hat = TestImages.sampleJpeg("test", "hat");
    HttpResponse<String> one = client.postMultipart("/v1/predict", List.of(hat));
    assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
    assertThat(client.postMultipart("/v1/predict", List.of(hat, hat)).statusCode()).isEqualTo(400);

    byte[] truncated = TestImages.hostile().get("truncated");
    HttpResponse<String> batch = client.postMultipart("/v1/predict:batch?k=1", List.of(hat, truncated, hat));
    assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
    JsonNode results = JSON.readTree(batch.body()).get("results");
    assertThat(results).hasSize(3);
    assertThat(results.get(0).get("status").asInt()).isEqualTo(200);
    assertThat(results.get(0).get("predictions")).hasSize(1);
    assertThat(results.get(0).get("modelVersion").asLong()).isEqualTo(1);
    assertThat(results.get(1).get("status").asInt()).isEqualTo(422);
    assertThat(results.get(1).get("error").asText()).isEqualTo("corrupt_image");
    assertThat(results.get(2).get("status").asInt()).isEqualTo(200);

    // decode bombs fail their own item, never the batch
    HttpResponse<String> bombs = client.postMultipart("/v1/predict:batch", List.of(TestImages.hostile().get("ihdr-disagrees"),
        hat, TestImages.hostile().get("many-scans")));
    assertThat(bombs.statusCode()).as(bombs.body()).isEqualTo(200);
    JsonNode items = JSON.readTree(bombs.body()).get("results");
    assertThat(items.get(0).get("error").asText()).isEqualTo("corrupt_image");
    assertThat(items.get(1).get("status").asInt()).isEqualTo(200);
    assertThat(items.get(2).get("error").asText()).isEqualTo("decode_cost");

    String json = "{\"images\": [\"" + Base64.getEncoder().encodeToString(hat) + "\"]}";
    HttpResponse<String> b64 = client.post("/v1/predict:batch", json.getBytes());
    assertThat(b64.statusCode()).as(b64.body()).isEqualTo(200);
    assertThat(JSON.readTree(b64.body()).get("results").get(0).get("status").asInt()).isEqualTo(200);
    assertThat(client.post("/v1/predict:batch", "{\"images\": []}".getBytes()).statusCode()).isEqualTo(422);
    assertThat(client.post("/v1/predict:batch", "not json".getBytes()).statusCode()).isEqualTo(400);
  }

  /** A {@code w}x{@code h} WebP made by OpenCV ({@code quality} above 100: lossless). */
  static byte[] webp(int w, int h, int quality) {
    try (org.bytedeco.opencv.opencv_core.Mat m = dev.streamfit.imaging.Pixels.fromHwc(new byte[w * h * 3], h, w);
        org.bytedeco.javacpp.BytePointer buf = new org.bytedeco.javacpp.BytePointer();
        org.bytedeco.javacpp.IntPointer p = new org.bytedeco.javacpp.IntPointer(
            org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_WEBP_QUALITY, quality)) {
      assertThat(org.bytedeco.opencv.global.opencv_imgcodecs.imencode(".webp", m, buf, p)).isTrue();
      byte[] b = new byte[(int) buf.limit()];
      buf.get(b);
      return b;
    }
  }
}
