package dev.streamfit.serving;

import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.ModelVersions;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.Models;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Provenance;
import dev.streamfit.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.deeplearning4j.nn.graph.ComputationGraph;

/** Real model versions (good and broken in each way verification must catch) and an HTTP client. */
final class Fixtures {
  static final List<String> LABELS = List.of("hat", "pants", "shoes");
  private static ComputationGraph graph;

  private Fixtures() {}

  private static synchronized ComputationGraph graph() {
    if (graph == null) {
      graph = Models.newClassifier(BaseModel.MOBILENET_V2_035, LABELS, 1e-3, 1, 224);
    }
    return graph;
  }

  /** A good model; {@code variant} shifts the head's biases so versions differ. */
  static synchronized byte[] good(int variant) {
    ComputationGraph g = graph();
    g.getLayer(Models.HEAD).getParam("b").assign(0.01 * variant);
    return Models.toBytes(g, false);
  }

  /** A model whose head weights are NaN. */
  static synchronized byte[] nanWeights() {
    ComputationGraph g = graph().clone();
    g.getLayer(Models.HEAD).getParam("W").assign(Double.NaN);
    return Models.toBytes(g, false);
  }

  /** A good model cut in half (its SHA-256 is of the cut bytes, so only loading can catch it). */
  static byte[] truncated() {
    byte[] b = good(0);
    return Arrays.copyOf(b, b.length / 2);
  }

  static ModelVersion version(long v, byte[] bytes) {
    return version("clothing", v, bytes, Hashes.sha256Hex(bytes), LABELS);
  }

  static ModelVersion version(String name, long v, byte[] bytes, String sha, List<String> labels) {
    ModelVersion mv = ModelVersions.of(name, v, bytes, labels, InputContract.square(224),
        Map.of("val.accuracy", 0.5 + v / 100.0),
        Provenance.newBuilder().setBaseModel("mobilenetv2-0.35").setRunSeed(1).setConfig(Map.of())
            .setOffsets(List.of()).setSteps(v).setSamplesTrained(16 * v).setParentVersion(v > 1 ? v - 1 : null).build());
    return ModelVersion.newBuilder(mv).setSha256(sha).build(); // a test may give a wrong checksum on purpose
  }


  static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_BYTES,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new StringSerializer(), new ByteArraySerializer());
  }

  static void publish(KafkaProducer<String, byte[]> p, Topics topics, ModelVersion mv) {
    try {
      p.send(new ProducerRecord<>(topics.models(), mv.getModelName() + "@" + mv.getVersion(),
          AvroSerde.of(ModelVersion.class).encode(mv))).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  static ModelState state(ServingStage s, long v) {
    return s.versions().stream().filter(x -> x.version() == v).findFirst().orElse(null);
  }

  /** A small HTTP/1.1 client for one server. */
  static final class Client {
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    final String base;
    String token;

    Client(int port) {
      this.base = "http://127.0.0.1:" + port;
    }

    HttpRequest.Builder req(String path) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
      return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    HttpResponse<String> get(String path) throws Exception {
      return http.send(req(path).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, byte[] body) throws Exception {
      return http.send(req(path).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postMultipart(String path, List<byte[]> files) throws Exception {
      dev.streamfit.testkit.MultipartBody body = dev.streamfit.testkit.MultipartBody.of(files, false);
      return http.send(req(path).header("Content-Type", body.contentType())
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}
