package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Open Inference Protocol (kserve/open-inference-protocol, specification/protocol/inference_rest.md and
 * open_inference_rest.yaml): requests built as the specification writes them, answers checked for the fields its
 * schemas require, and the same probabilities as {@code /v1/predict} for the same image. Real broker, real server.
 */
@ExtendWith(KafkaBrokerExtension.class)
class InferenceProtocolTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static ServingStage serving;
  static Fixtures.Client client;
  /** A lossless image, so that its pixels sent as UINT8 are exactly what the server decodes from it. */
  static byte[] png;
  static BufferedImage pixels;
  static byte[] other;

  @BeforeAll
  static void start(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("v2-", 1, (short) 1);
    serving = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withTopicInference(false)
        .withFeedback(FeedbackPolicy.defaults().withRate(20, 60)));
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
    }
    await("v1 active", () -> serving.active() != null);
    client = new Fixtures.Client(serving.port());
    BufferedImage hat = ImageIO.read(new ByteArrayInputStream(TestImages.sampleJpeg("test", "hat")));
    pixels = new BufferedImage(hat.getWidth(), hat.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
    pixels.getGraphics().drawImage(hat, 0, 0, null);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(pixels, "png", out);
    png = out.toByteArray();
    other = TestImages.sampleJpeg("test", "shoes");
  }

  @AfterAll
  static void stop() {
    if (serving != null) {
      serving.close();
    }
  }

  @Test
  void serverAndModelEndpointsAnswerWithTheFieldsTheSpecificationRequires() throws Exception {
    JsonNode server = ok(client.get("/v2"));
    assertThat(server.get("name").isTextual()).isTrue();
    assertThat(server.get("version").isTextual()).isTrue();
    assertThat(server.get("extensions").isArray()).isTrue();
    assertThat(ok(client.get("/v2/health/live")).get("live").asBoolean()).isTrue();
    assertThat(ok(client.get("/v2/health/ready")).get("ready").asBoolean()).isTrue();
    for (String path : List.of("/v2/models/clothing", "/v2/models/clothing/versions/1")) {
      JsonNode m = ok(client.get(path));
      assertThat(m.get("name").asText()).isEqualTo("clothing");
      assertThat(m.get("platform").isTextual()).isTrue();
      assertThat(m.get("versions").toString()).isEqualTo("[\"1\"]");
      for (JsonNode t : List.of(m.get("inputs").get(0), m.get("inputs").get(1), m.get("outputs").get(0))) {
        assertThat(t.get("name").isTextual()).isTrue();
        assertThat(t.get("datatype").isTextual()).isTrue();
        assertThat(t.get("shape").isArray()).isTrue();
      }
      assertThat(m.get("inputs").toString()).contains("\"BYTES\"", "\"UINT8\"");
      assertThat(m.get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,3]");
    }
    JsonNode ready = ok(client.get("/v2/models/clothing/versions/1/ready"));
    assertThat(ready.get("name").asText()).isEqualTo("clothing");
    assertThat(ready.get("ready").asBoolean()).isTrue();
    assertThat(ok(client.get("/v2/models/clothing/ready")).get("ready").asBoolean()).isTrue();
    HttpResponse<String> notReady = client.get("/v2/models/clothing/versions/7/ready");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(notReady.body()).get("ready").asBoolean()).isFalse();
  }

  @Test
  void bytesAndUint8InputsGetTheProbabilitiesOfV1Predict() throws Exception {
    Map<String, Double> v1 = v1Probabilities(png);
    ObjectNode bytes = request("42", "image", "BYTES", List.of(1L), strings(png));
    JsonNode a = ok(client.post("/v2/models/clothing/infer", JSON.writeValueAsBytes(bytes)));
    assertInferResponse(a, 1);
    assertThat(a.get("id").asText()).isEqualTo("42");
    assertThat(a.get("model_version").asText()).isEqualTo("1");
    assertSameAs(v1, a, 0);

    ArrayNode data = JSON.createArrayNode();
    for (int y = 0; y < pixels.getHeight(); y++) {
      ArrayNode row = data.addArray();
      for (int x = 0; x < pixels.getWidth(); x++) {
        int rgb = pixels.getRGB(x, y);
        row.addArray().add((rgb >> 16) & 0xff).add((rgb >> 8) & 0xff).add(rgb & 0xff);
      }
    }
    ObjectNode uint8 = JSON.createObjectNode();
    ObjectNode in = uint8.putArray("inputs").addObject();
    in.put("name", "pixels").put("datatype", "UINT8");
    in.putArray("shape").add(1).add(pixels.getHeight()).add(pixels.getWidth()).add(3);
    in.putArray("data").add(data); // nested: [1][H][W][3], as the specification allows
    JsonNode b = ok(client.post("/v2/models/clothing/versions/1/infer", JSON.writeValueAsBytes(uint8)));
    assertInferResponse(b, 1);
    assertThat(b.has("id")).isFalse();
    assertSameAs(v1, b, 0);

    ObjectNode two = request(null, "input-0", "BYTES", List.of(2L), strings(other, png));
    two.putArray("outputs").addObject().put("name", "label");
    JsonNode c = ok(client.post("/v2/models/clothing/infer", JSON.writeValueAsBytes(two)));
    assertThat(c.get("outputs")).hasSize(1);
    JsonNode labels = c.get("outputs").get(0);
    assertThat(labels.get("shape").toString()).isEqualTo("[2]");
    assertThat(labels.get("data").get(1).asText()).isEqualTo(top(v1));
    assertThat(labels.get("data").get(0).asText()).isEqualTo(top(v1Probabilities(other)));
  }

  @Test
  void aV2PredictionIdTakesFeedbackLikeAV1One() throws Exception {
    JsonNode a = ok(client.post("/v2/models/clothing/infer",
        JSON.writeValueAsBytes(request(null, "image", "BYTES", List.of(1L), strings(png)))));
    String id = output(a, "prediction_id").get("data").get(0).asText();
    HttpResponse<String> fb = client.post("/v1/feedback",
        JSON.writeValueAsBytes(Map.of("predictionId", id, "label", "hat")));
    assertThat(fb.statusCode()).as(fb.body()).isEqualTo(202);
    assertThat(JSON.readTree(fb.body()).get("modelVersion").asLong()).isEqualTo(1);
    assertThat(client.get("/metrics").body()).contains("endpoint=\"infer\"");
  }

  @Test
  void malformedRequestsGetTheProtocolsErrorShapeWithA4xx() throws Exception {
    Map<String, Integer> posts = new LinkedHashMap<>();
    posts.put("not json", 400);
    posts.put("[]", 400);
    posts.put("{\"inputs\": []}", 400);
    posts.put("{\"id\": 7, \"inputs\": []}", 400);
    posts.put(json(request(null, "x", "FP32", List.of(1L), JSON.createArrayNode().add(1.5))), 400);
    posts.put(json(request(null, "x", "BYTES", List.of(2L), strings(png))), 400);
    posts.put(json(request(null, "x", "BYTES", List.of(1L), JSON.createArrayNode().add("%%% not base64"))), 400);
    posts.put(json(request(null, "x", "UINT8", List.of(1L, 2L, 2L, 3L), JSON.createArrayNode().add(1).add(2))), 400);
    posts.put(json(request(null, "x", "UINT8", List.of(1L, 1L, 1L, 3L), JSON.createArrayNode().add(1).add(2).add(300))), 400);
    posts.put(json(request(null, "x", "UINT8", List.of(1L, 2L, 3L), JSON.createArrayNode())), 400);
    ObjectNode unknownOutput = request(null, "x", "BYTES", List.of(1L), strings(png));
    unknownOutput.putArray("outputs").addObject().put("name", "logits");
    posts.put(json(unknownOutput), 400);
    posts.put(json(request(null, "x", "BYTES", List.of(1L), strings(TestImages.hostile().get("gif")))), 415);
    posts.put(json(request(null, "x", "BYTES", List.of(1L), strings(TestImages.hostile().get("header-only")))), 422);
    for (Map.Entry<String, Integer> c : posts.entrySet()) {
      assertError(client.post("/v2/models/clothing/infer", c.getKey().getBytes()), c.getValue(), c.getKey());
    }
    String good = json(request(null, "x", "BYTES", List.of(1L), strings(png)));
    assertError(client.post("/v2/models/fish/infer", good.getBytes()), 404, "unknown model");
    assertError(client.post("/v2/models/clothing/versions/9/infer", good.getBytes()), 404, "unloaded version");
    assertError(client.post("/v2/models/clothing/versions/x/infer", good.getBytes()), 404, "version not a number");
    assertError(client.get("/v2/models/clothing/infer"), 405, "GET infer");
    assertError(client.get("/v2/models/clothing/versions/9"), 404, "unknown version metadata");
    assertError(client.get("/v2/models/clothing/nope"), 404, "unknown verb");
  }

  private static String json(Object o) throws Exception {
    return JSON.writeValueAsString(o);
  }

  private static ObjectNode request(String id, String name, String datatype, List<Long> shape, ArrayNode data) {
    ObjectNode r = JSON.createObjectNode();
    if (id != null) {
      r.put("id", id);
    }
    ObjectNode in = r.putArray("inputs").addObject();
    in.put("name", name).put("datatype", datatype);
    ArrayNode s = in.putArray("shape");
    shape.forEach(s::add);
    in.set("data", data);
    return r;
  }

  private static ArrayNode strings(byte[]... images) {
    ArrayNode a = JSON.createArrayNode();
    for (byte[] i : images) {
      a.add(Base64.getEncoder().encodeToString(i));
    }
    return a;
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** {@code $inference_error_response}: a 4xx whose body holds a string {@code error}. */
  private static void assertError(HttpResponse<String> r, int status, String what) throws Exception {
    assertThat(r.statusCode()).as(what + " → " + r.body()).isEqualTo(status);
    JsonNode e = JSON.readTree(r.body());
    assertThat(e.isObject()).as(what).isTrue();
    assertThat(e.get("error").isTextual()).as(what).isTrue();
    assertThat(e.get("error").asText()).as(what).isNotBlank();
  }

  /** {@code $inference_response}: {@code model_name} and {@code outputs}, each with name, shape, datatype, data. */
  private static void assertInferResponse(JsonNode a, int n) {
    assertThat(a.get("model_name").asText()).isEqualTo("clothing");
    for (JsonNode o : a.get("outputs")) {
      assertThat(o.get("name").isTextual()).isTrue();
      assertThat(o.get("datatype").isTextual()).isTrue();
      long elements = 1;
      for (JsonNode d : o.get("shape")) {
        elements *= d.asLong();
      }
      assertThat(o.get("data")).hasSize((int) elements);
      assertThat(o.get("shape").get(0).asLong()).isEqualTo(n);
    }
    assertThat(output(a, "probabilities").get("datatype").asText()).isEqualTo("FP32");
  }

  private static JsonNode output(JsonNode a, String name) {
    for (JsonNode o : a.get("outputs")) {
      if (o.get("name").asText().equals(name)) {
        return o;
      }
    }
    throw new AssertionError("no output " + name + " in " + a);
  }

  /** The V2 probabilities of item {@code i} equal {@code /v1/predict}'s, label by label; the top label too. */
  private static void assertSameAs(Map<String, Double> v1, JsonNode a, int i) {
    JsonNode probs = output(a, "probabilities");
    List<String> labels = List.of(probs.get("parameters").get("labels").asText().split(","));
    int c = labels.size();
    assertThat(labels).containsExactlyInAnyOrderElementsOf(v1.keySet());
    for (int j = 0; j < c; j++) {
      assertThat(probs.get("data").get(i * c + j).asDouble()).as(labels.get(j))
          .isCloseTo(v1.get(labels.get(j)), org.assertj.core.data.Offset.offset(1e-6));
    }
    assertThat(output(a, "label").get("data").get(i).asText()).isEqualTo(top(v1));
  }

  private static Map<String, Double> v1Probabilities(byte[] image) throws Exception {
    JsonNode v1 = ok(client.post("/v1/predict?k=3", image));
    Map<String, Double> out = new LinkedHashMap<>();
    for (Iterator<JsonNode> it = v1.get("predictions").elements(); it.hasNext(); ) {
      JsonNode p = it.next();
      out.put(p.get("label").asText(), p.get("probability").asDouble());
    }
    return out;
  }

  private static String top(Map<String, Double> probs) {
    return new ArrayList<>(probs.keySet()).get(0);
  }
}
