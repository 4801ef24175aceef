package dev.streamfit.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.InputEncoder;
import dev.streamfit.engine.Models;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.InputSpec;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Provenance;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Real broker, real DL4J model, real HTTP server. */
@ExtendWith(KafkaBrokerExtension.class)
class ServingStageTest {
  static final List<String> LABELS = List.of("dress", "hat", "shoes");
  static final Topics TOPICS = new Topics("serving-test-", 1, (short) 1);
  static ServingStage serving;
  static KafkaProducer<String, byte[]> producer;
  static byte[] modelBytes;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start(KafkaBroker broker) {
    ServingConfig d = ServingConfig.defaults(broker.bootstrapServers(), TOPICS, 0);
    serving = ServingStage.start(new ServingConfig(d.bootstrapServers(), TOPICS, "127.0.0.1", 0, 2, 400_000, d.limits(), 4));
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_BYTES), new StringSerializer(), new ByteArraySerializer());
    modelBytes = Models.toBytes(Models.newClassifier(BaseModel.MOBILENET_V2_035, LABELS, 1e-3, 1, 224), false);
  }

  @AfterAll
  static void stop() {
    producer.close();
    serving.close();
  }

  static ModelVersion version(long v, byte[] bytes, String sha) {
    return ModelVersion.newBuilder().setModelName("test").setVersion(v).setCreatedAt(Instant.now())
        .setFormat(Models.FORMAT).setModelBytes(ByteBuffer.wrap(bytes)).setSha256(sha).setLabels(LABELS)
        .setInput(new InputSpec(224, 224, 3, InputEncoder.NCHW, InputEncoder.MINUS_ONE_TO_ONE))
        .setMetrics(Map.of("val.accuracy", 0.5))
        .setProvenance(Provenance.newBuilder().setBaseModel("mobilenetv2-0.35").setRunSeed(1).setConfig(Map.of())
            .setOffsets(List.of()).setSteps(1).setSamplesTrained(16).build())
        .build();
  }

  static void publish(ModelVersion mv) throws Exception {
    producer.send(new ProducerRecord<>(TOPICS.models(), "test@" + mv.getVersion(), AvroSerde.of(ModelVersion.class).encode(mv))).get();
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serving.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serving.port() + path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static byte[] jpeg() throws Exception {
    Path dir = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample/test/hat");
    try (Stream<Path> s = Files.list(dir)) {
      return Files.readAllBytes(s.sorted().findFirst().orElseThrow());
    }
  }

  static void await(BooleanSupplier cond) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met within 60 s");
      }
      Thread.sleep(100);
    }
  }

  @Test
  void servesOnlyVerifiedVersionsAndAnswersBadInputWith4xx() throws Exception {
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(503);
    assertThat(post("/v1/predict", jpeg()).statusCode()).isEqualTo(503);

    publish(version(1, modelBytes, Hashes.sha256Hex(modelBytes)));
    await(() -> serving.active() != null);
    assertThat(get("/readyz").body()).contains("\"modelVersion\":1");

    HttpResponse<String> ok = post("/v1/predict", jpeg());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).contains("\"modelVersion\":1").contains("\"predictions\":[{\"label\":");
    assertThat(post("/v1/predict?k=3", jpeg()).body().split("\"label\"")).hasSize(4);

    // A version whose bytes do not match its checksum never becomes active.
    byte[] tampered = modelBytes.clone();
    tampered[tampered.length / 2] ^= 1;
    publish(version(2, tampered, Hashes.sha256Hex(modelBytes)));
    publish(version(3, modelBytes, Hashes.sha256Hex(modelBytes)));
    await(() -> serving.active().version() == 3);
    assertThat(get("/v1/models").body()).contains("\"version\":3").contains("\"samplesTrained\":16");

    byte[] jpeg = jpeg();
    assertStatus(post("/v1/predict", new byte[0]), 422, "empty");
    assertStatus(post("/v1/predict", "hello, not an image".getBytes()), 415, "unsupported_format");
    assertStatus(post("/v1/predict", Arrays.copyOf(jpeg, jpeg.length / 2)), 422, "corrupt_image");
    assertStatus(post("/v1/predict", new byte[500_000]), 413, "too_large");
    assertThat(get("/v1/predict").statusCode()).isEqualTo(405);
    assertThat(get("/nope").statusCode()).isEqualTo(404);
    // still answering
    assertThat(post("/v1/predict", jpeg).statusCode()).isEqualTo(200);
  }

  private static void assertStatus(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.body()).contains("\"error\":\"" + code + "\"");
  }
}
