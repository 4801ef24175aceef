package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Feedback;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.ModelEventKind;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The loop from live answers back to training data, on a real broker: a version that passes verification but is
 * wrong on every live image (its head permuted, as if trained with shuffled labels) is published over a good one;
 * feedback drives its live accuracy down and serving rolls back after exactly the configured N feedback records,
 * says why on {@code model.events} and {@code /metrics}; each corrected image is on {@code images.raw} once, with its
 * true label. Bad feedback (unknown id, unknown label, duplicate, malformed, flooding) is refused with a clear 4xx
 * and never moves live accuracy.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FeedbackLoopTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int WINDOW = 20;

  static HttpResponse<String> feedback(Fixtures.Client c, String predictionId, String label) throws Exception {
    return c.post("/v1/feedback", JSON.writeValueAsBytes(Map.of("predictionId", predictionId, "label", label)));
  }

  static JsonNode predict(Fixtures.Client c, byte[] image) throws Exception {
    HttpResponse<String> r = c.post("/v1/predict?k=1", image);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static <T extends org.apache.avro.specific.SpecificRecord> List<T> read(String bootstrap, String topic, int partitions, Class<T> type, int atLeast) {
    AvroSerde<T> serde = AvroSerde.of(type);
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 20_000;
      long quietUntil = Long.MAX_VALUE;
      while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(serde.decode(r.value()));
        }
        if (out.size() >= atLeast && quietUntil == Long.MAX_VALUE) {
          quietUntil = System.currentTimeMillis() + 2_000; // and nothing more arrives
        }
      }
    }
    return out;
  }

  @Test
  void wrongVersionIsRolledBackOnFeedbackAndCorrectionsBecomeTrainingData(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("loop-", 1, (short) 1);
    List<byte[]> live = LiveFixtures.pool(30, 31);
    ServingConfig config = ServingConfig.defaults(broker.bootstrapServers(), topics, 0).withModelName("clothing")
        .withTopicInference(false).withRollout(RolloutPolicy.defaults().withRollback(WINDOW, 0.2, 10))
        .withFeedback(FeedbackPolicy.defaults().withRate(20, 60));
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers());
        ServingStage s = ServingStage.start(config)) {
      Fixtures.Client client = new Fixtures.Client(s.port());
      publish(p, topics, LiveFixtures.version(1, LiveFixtures.good(0)));
      await("v1 active", () -> s.active() != null && s.active().version() == 1);
      await("feedback follower caught up", s::feedbackCaughtUp);

      // v1 is right: the truth of each live image is its answer. Feedback on all of them.
      Map<Integer, String> truth = new HashMap<>();
      String firstId = null;
      for (int i = 0; i < live.size(); i++) {
        JsonNode a = predict(client, live.get(i));
        truth.put(i, a.at("/predictions/0/label").asText());
        String id = a.get("predictionId").asText();
        firstId = firstId == null ? id : firstId;
        HttpResponse<String> f = feedback(client, id, truth.get(i));
        assertThat(f.statusCode()).as(f.body()).isEqualTo(202);
        assertThat(JSON.readTree(f.body()).get("correct").asBoolean()).isTrue();
        assertThat(JSON.readTree(f.body()).get("correction").asText()).isEqualTo("not_needed");
      }
      await("v1's feedback counted", () -> s.live(1).feedback() == live.size());
      assertThat(s.live(1).liveAccuracy()).isEqualTo(1.0);

      // Bad feedback: each refused with its reason; none counts.
      String other = truth.get(0).equals("hat") ? "pants" : "hat";
      assertError(feedback(client, firstId, other), 409, "duplicate_feedback");
      assertError(feedback(client, "no-such-prediction", "hat"), 404, "unknown_prediction");
      JsonNode fresh = predict(client, live.get(1));
      assertError(feedback(client, fresh.get("predictionId").asText(), "sombrero"), 422, "unknown_label");
      assertError(client.post("/v1/feedback", "{\"label\": \"hat\"}".getBytes()), 400, "bad_request");
      assertError(client.post("/v1/feedback", "not json".getBytes()), 400, "bad_request");
      assertError(client.post("/v1/feedback", "{\"predictionId\": 5, \"label\": [1]}".getBytes()), 400, "bad_request");
      assertError(client.get("/v1/feedback"), 405, "method_not_allowed");
      int limited = 0;
      for (int i = 0; i < 400 && limited < 5; i++) { // flooding: the bucket (burst 60, 20/s) runs dry
        HttpResponse<String> r = feedback(client, "flood-" + i, "hat");
        if (r.statusCode() == 429) {
          limited++;
          assertThat(r.headers().firstValue("Retry-After")).isPresent();
          assertThat(JSON.readTree(r.body()).get("error").asText()).isEqualTo("rate_limited");
        } else {
          assertThat(r.statusCode()).isEqualTo(404);
        }
      }
      assertThat(limited).isPositive();
      Thread.sleep(3_500); // the bucket refills
      assertThat(s.live(1).feedback()).isEqualTo(live.size());
      assertThat(s.live(1).liveAccuracy()).isEqualTo(1.0);

      // v2 passes verification and is wrong on every live image.
      publish(p, topics, LiveFixtures.version(2, LiveFixtures.permuted()));
      await("v2 active", () -> s.active() != null && s.active().version() == 2);
      List<Integer> asked = new ArrayList<>();
      for (int i = 0; i < WINDOW - 1; i++) {
        asked.add(i);
      }
      asked.add(0); // the same image again: its correction is published once
      for (int n = 0; n < WINDOW; n++) {
        int i = asked.get(n);
        JsonNode a = predict(client, live.get(i));
        assertThat(a.get("modelVersion").asLong()).isEqualTo(2);
        assertThat(a.at("/predictions/0/label").asText()).isNotEqualTo(truth.get(i));
        HttpResponse<String> f = feedback(client, a.get("predictionId").asText(), truth.get(i));
        assertThat(f.statusCode()).as(f.body()).isEqualTo(202);
        JsonNode fb = JSON.readTree(f.body());
        assertThat(fb.get("correct").asBoolean()).isFalse();
        assertThat(fb.get("correction").asText()).isEqualTo(n == WINDOW - 1 ? "duplicate" : "published");
        if (n == WINDOW - 2) {
          await("19 records counted", () -> s.live(2).feedback() == WINDOW - 1);
          Thread.sleep(500);
          assertThat(s.active().version()).as("no rollback before the window is full").isEqualTo(2);
        }
      }
      await("rolled back to v1", () -> s.active().version() == 1 && state(s, 2).status() == ModelStatus.ROLLED_BACK);
      assertThat(s.live(2).feedback()).isEqualTo(WINDOW);
      assertThat(state(s, 2).reason()).contains("live accuracy 0.0000 over the last 20");
      assertThat(client.get("/metrics").body()).contains("streamfit_serving_rollbacks_total 1.0");
      assertThat(predict(client, live.get(5)).get("modelVersion").asLong()).isEqualTo(1);

      List<ModelEvent> events = read(broker.bootstrapServers(), topics.modelEvents(), 1, ModelEvent.class, 1);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).getKind()).isEqualTo(ModelEventKind.ROLLED_BACK);
      assertThat(events.get(0).getVersion()).isEqualTo(2);
      assertThat(events.get(0).getReplacementVersion()).isEqualTo(1L);
      assertThat(events.get(0).getMetrics()).containsEntry("live.window_accuracy", 0.0);

      List<RawImage> corrected = read(broker.bootstrapServers(), topics.raw(), 1, RawImage.class, WINDOW - 1);
      assertThat(corrected).hasSize(WINDOW - 1);
      Map<String, String> expected = new HashMap<>();
      for (int i = 0; i < WINDOW - 1; i++) {
        expected.put(Hashes.sha256Hex(live.get(i)), truth.get(i));
      }
      Map<String, String> got = new HashMap<>();
      corrected.forEach(r -> got.put(r.getId().toString(), r.getLabel().toString()));
      assertThat(got).isEqualTo(expected);
      assertThat(corrected).allSatisfy(r -> assertThat(r.getSplit().name()).isEqualTo("TRAIN"));

      // A client may also write feedback to the topic, naming only the image; serving resolves and counts it.
      JsonNode a = predict(client, live.get(25));
      try (KafkaProducer<String, byte[]> fp = Fixtures.producer(broker.bootstrapServers())) {
        fp.send(new ProducerRecord<>(topics.feedback(), "x", AvroSerde.of(Feedback.class).encode(Feedback.newBuilder()
            .setImageId(Hashes.sha256Hex(live.get(25))).setTrueLabel(truth.get(25)).setAt(Instant.now()).build()))).get();
      }
      await("topic feedback counted", () -> s.live(1).feedback() == live.size() + 1);
      assertError(feedback(client, a.get("predictionId").asText(), truth.get(25)), 409, "duplicate_feedback");
    }
    // A restart keeps the rollback: v1 serves, v2 stays rolled back.
    try (ServingStage s = ServingStage.start(config)) {
      await("recovered", () -> s.active() != null);
      assertThat(s.active().version()).isEqualTo(1);
      assertThat(state(s, 2).status()).isEqualTo(ModelStatus.ROLLED_BACK);
    }
  }

  static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode b = JSON.readTree(r.body());
    assertThat(b.get("error").asText()).as(r.body()).isEqualTo(code);
    assertThat(b.get("message").asText()).isNotBlank();
  }
}
