package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.PredictionRequest;
import dev.streamfit.schemas.PredictionResult;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.OutsideTool;
import dev.streamfit.testkit.TestImages;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka client no one here wrote, {@code kcat} (librdkafka; Debian package {@code kcat}), produces an inference
 * request to {@code inference.requests} and reads its answer from {@code inference.results} with read_committed:
 * one result, keyed by the request id, equal to what {@code /v1/predict} answers. Real broker, real serving stage.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KcatTopicInferenceTest {
  @TempDir
  Path dir;

  @Test
  void aRequestProducedByKcatIsAnsweredOnceAndReadByKcat(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("kcat-", 2, (short) 1);
    byte[] hat = TestImages.sampleJpeg("test", "hat");
    try (ServingStage s = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0));
        KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
      await("v1 active", () -> s.active() != null);
      // The request's bytes are the Avro single-object encoding of schemas/PredictionRequest.avsc; kcat sends the
      // file as one message (no delimiter), keyed by the request id.
      Path request = Files.write(dir.resolve("request.avro"), AvroSerde.of(PredictionRequest.class).encode(
          PredictionRequest.newBuilder().setRequestId("from-kcat-1").setContent(ByteBuffer.wrap(hat)).setTopK(2).build()));
      OutsideTool.Run produced = OutsideTool.run(List.of("kcat", "-b", broker.bootstrapServers(), "-P",
          "-t", topics.inferenceRequests(), "-k", "from-kcat-1", request.toString()), dir, null, 60, "apt-get install kcat");
      assertThat(produced.exitCode()).as(produced.output()).isZero();

      // kcat reads one committed result and writes its key and value, raw, to a file.
      Path result = dir.resolve("result.avro");
      Path key = dir.resolve("key.txt");
      OutsideTool.Run consumed = OutsideTool.run(List.of("sh", "-c", "kcat -b \"$0\" -C -t \"$1\" -o beginning -c 1"
          + " -X isolation.level=read_committed -f '%s' > \"$2\" && kcat -b \"$0\" -C -t \"$1\" -o beginning -c 1"
          + " -X isolation.level=read_committed -f '%k' > \"$3\"", broker.bootstrapServers(), topics.inferenceResults(),
          result.toString(), key.toString()), dir, null, 90, "apt-get install kcat");
      assertThat(consumed.exitCode()).as(consumed.output()).isZero();
      assertThat(Files.readString(key)).isEqualTo("from-kcat-1");
      PredictionResult r = AvroSerde.of(PredictionResult.class).decode(Files.readAllBytes(result));
      assertThat(r.getRequestId()).isEqualTo("from-kcat-1");
      assertThat(r.getError()).isNull();
      assertThat(r.getModelVersion()).isEqualTo(1L);
      assertThat(r.getPredictions()).hasSize(2);
      assertThat(r.getPredictionId()).isNotBlank();

      JsonNode http = new ObjectMapper().readTree(new Fixtures.Client(s.port()).post("/v1/predict?k=2", hat).body());
      assertThat(r.getPredictions().get(0).getLabel()).isEqualTo(http.get("predictions").get(0).get("label").asText());
      assertThat(r.getPredictions().get(0).getProbability())
          .isCloseTo(http.get("predictions").get(0).get("probability").asDouble(), org.assertj.core.data.Offset.offset(1e-6));

      // Exactly one result: kcat sees the end of every partition after one message.
      OutsideTool.Run all = OutsideTool.run(List.of("kcat", "-b", broker.bootstrapServers(), "-C", "-t",
          topics.inferenceResults(), "-o", "beginning", "-e", "-X", "isolation.level=read_committed", "-f", "%k\\n"),
          dir, null, 60, "apt-get install kcat");
      assertThat(all.output().lines().filter(l -> l.equals("from-kcat-1")).count()).as(all.output()).isEqualTo(1);
    }
  }
}
