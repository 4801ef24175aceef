package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.PredictionRequest;
import dev.streamfit.schemas.PredictionResult;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** inference.requests → inference.results: every request answered once, bad ones with an error, none stalls. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicInferenceTest {
  @Test
  void everyRequestGetsOneResultKeyedByItsIdAndBadOnesCarryAnError(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("topic-inference-", 2, (short) 1);
    AvroSerde<PredictionRequest> serde = AvroSerde.of(PredictionRequest.class);
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers());
        ServingStage s = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0))) {
      // Requests sent before any model exists wait (paused), they are not answered with errors.
      byte[] hat = TestImages.sampleJpeg("test", "hat");
      Map<String, byte[]> requests = new HashMap<>();
      for (int i = 0; i < 20; i++) {
        requests.put("ok-" + i, hat);
      }
      requests.put("truncated", TestImages.hostile().get("truncated"));
      requests.put("empty", new byte[0]);
      requests.put("gif", TestImages.hostile().get("gif"));
      for (Map.Entry<String, byte[]> e : requests.entrySet()) {
        PredictionRequest req = PredictionRequest.newBuilder().setRequestId(e.getKey())
            .setContent(ByteBuffer.wrap(e.getValue())).setTopK(2).build();
        p.send(new ProducerRecord<>(topics.inferenceRequests(), e.getKey(), serde.encode(req))).get();
      }
      // Decode bombs on each partition, each followed on the same partition by a valid request.
      for (int part = 0; part < 2; part++) {
        for (String bomb : List.of("ihdr-disagrees", "many-scans")) {
          String id = bomb + "-" + part;
          p.send(new ProducerRecord<>(topics.inferenceRequests(), part, id, serde.encode(PredictionRequest.newBuilder()
              .setRequestId(id).setContent(ByteBuffer.wrap(TestImages.hostile().get(bomb))).setTopK(1).build()))).get();
          requests.put(id, null);
        }
        String after = "after-bombs-" + part;
        p.send(new ProducerRecord<>(topics.inferenceRequests(), part, after, serde.encode(PredictionRequest.newBuilder()
            .setRequestId(after).setContent(ByteBuffer.wrap(hat)).setTopK(1).build()))).get();
        requests.put(after, null);
      }
      p.send(new ProducerRecord<>(topics.inferenceRequests(), "garbage", "not avro".getBytes())).get();
      p.send(new ProducerRecord<>(topics.inferenceRequests(), "after-garbage", serde.encode(PredictionRequest.newBuilder()
          .setRequestId("after-garbage").setContent(ByteBuffer.wrap(hat)).setTopK(1).build()))).get();
      Thread.sleep(1500);
      publish(p, topics, version(7, Fixtures.good(7)));

      Map<String, PredictionResult> results = new HashMap<>();
      Map<String, Integer> counts = new HashMap<>();
      AvroSerde<PredictionResult> rs = AvroSerde.of(PredictionResult.class);
      try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "ti-check",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
          new StringDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(topics.inferenceResults()));
        long deadline = System.currentTimeMillis() + 60_000;
        while (results.size() < requests.size() + 2 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
            PredictionResult res = rs.decode(r.value());
            assertThat(r.key()).isEqualTo(res.getRequestId().toString());
            results.put(r.key(), res);
            counts.merge(r.key(), 1, Integer::sum);
          }
        }
        // no duplicates arrive later either
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofSeconds(1))) {
          counts.merge(r.key(), 1, Integer::sum);
        }
      }
      assertThat(results).hasSize(requests.size() + 2);
      assertThat(counts.values()).allMatch(n -> n == 1);
      for (int i = 0; i < 20; i++) {
        PredictionResult ok = results.get("ok-" + i);
        assertThat(ok.getError()).isNull();
        assertThat(ok.getModelVersion()).isEqualTo(7L);
        assertThat(ok.getPredictions()).hasSize(2);
        assertThat(ok.getPredictionId()).as("an id to give feedback on").isNotNull();
      }
      assertThat(results.values().stream().map(PredictionResult::getPredictionId).filter(java.util.Objects::nonNull)
          .distinct().count()).as("one id per answered request").isGreaterThanOrEqualTo(20);
      assertThat(results.get("truncated").getPredictionId()).isNull();
      assertThat(results.get("after-garbage").getPredictions()).hasSize(1);
      assertThat(results.get("truncated").getError().toString()).startsWith("corrupt_image: ");
      assertThat(results.get("empty").getError().toString()).startsWith("empty: ");
      assertThat(results.get("gif").getError().toString()).startsWith("unsupported_format: ");
      assertThat(results.get("garbage").getError().toString()).startsWith("malformed_record: ");
      assertThat(results.get("garbage").getModelVersion()).isNull();
      for (int part = 0; part < 2; part++) {
        assertThat(results.get("ihdr-disagrees-" + part).getError().toString()).startsWith("corrupt_image: ");
        assertThat(results.get("many-scans-" + part).getError().toString()).startsWith("decode_cost: ");
        assertThat(results.get("after-bombs-" + part).getError()).isNull();
        assertThat(results.get("after-bombs-" + part).getPredictions()).hasSize(1);
      }
      assertThat(new Fixtures.Client(s.port()).get("/v1/predictions/recent").body()).contains("\"source\":\"topic\"");
    }
  }

  @Test
  void aRequestNamesItsModelAndAFurtherModelWithoutVersionsDoesNotStallThePartition(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("topic-models-", 1, (short) 1);
    AvroSerde<PredictionRequest> serde = AvroSerde.of(PredictionRequest.class);
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers());
        ServingStage s = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0)
            .withModelName("birds").withMoreModels(List.of("tools")))) {
      byte[] birds = Fixtures.good(1);
      publish(p, topics, Fixtures.version("birds", 1, birds, dev.streamfit.common.Hashes.sha256Hex(birds),
          List.of("crow", "owl", "wren")));
      await("birds active", () -> s.active() != null);
      byte[] hat = TestImages.sampleJpeg("test", "hat");
      java.util.function.BiConsumer<String, String> send = (id, model) -> {
        try {
          p.send(new ProducerRecord<>(topics.inferenceRequests(), id, serde.encode(PredictionRequest.newBuilder()
              .setRequestId(id).setContent(ByteBuffer.wrap(hat)).setTopK(3).setModel(model).build()))).get();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      send.accept("default", null);
      send.accept("tools-early", "tools");
      send.accept("fish", "fish");
      send.accept("birds", "birds");
      Map<String, PredictionResult> results = read(broker, topics, 4);
      assertThat(labels(results.get("default"))).containsExactlyInAnyOrder("crow", "owl", "wren");
      assertThat(String.valueOf(results.get("default").getModel())).isEqualTo("birds");
      assertThat(labels(results.get("birds"))).containsExactlyInAnyOrder("crow", "owl", "wren");
      assertThat(results.get("tools-early").getError()).startsWith("no_model").contains("'tools'");
      assertThat(results.get("fish").getError()).startsWith("unknown_model");

      byte[] tools = Fixtures.good(2);
      publish(p, topics, Fixtures.version("tools", 1, tools, dev.streamfit.common.Hashes.sha256Hex(tools),
          List.of("hammer", "saw", "wrench")));
      await("tools active", () -> s.active("tools") != null);
      send.accept("tools", "tools");
      PredictionResult answer = read(broker, topics, 5).get("tools");
      assertThat(String.valueOf(answer.getModel())).isEqualTo("tools");
      assertThat(labels(answer)).containsExactlyInAnyOrder("hammer", "saw", "wrench");
    }
  }

  private static List<String> labels(PredictionResult r) {
    assertThat(r.getError()).as("error of " + r.getRequestId()).isNull();
    return r.getPredictions().stream().map(l -> l.getLabel().toString()).toList();
  }

  /** The first {@code n} results on {@code inference.results}, by request id (60 s at most). */
  private static Map<String, PredictionResult> read(KafkaBroker broker, Topics topics, int n) {
    AvroSerde<PredictionResult> rs = AvroSerde.of(PredictionResult.class);
    Map<String, PredictionResult> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
      org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(topics.inferenceResults(), 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.currentTimeMillis() + 60_000;
      while (out.size() < n && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> {
          PredictionResult res = rs.decode(r.value());
          out.put(res.getRequestId().toString(), res);
        });
      }
    }
    assertThat(out).hasSize(n);
    return out;
  }
}
