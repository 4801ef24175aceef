package dev.streamfit.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.Topics;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Config errors name the key, the bound, the value and the flag. */
class ServingConfigTest {
  final ServingConfig d = ServingConfig.defaults("localhost:9092", Topics.defaults(), 8080);

  @Test
  void defaultsAreValid() {
    assertThat(d.maxBatch()).isEqualTo(8);
    assertThat(d.inferenceWorkers()).isBetween(1, 16);
    assertThat(d.topicInference()).isTrue();
    assertThat(d.inferenceGroupId()).isEqualTo("streamfit-serving");
  }

  @Test
  void outOfRangeValuesNameKeyBoundValueAndFlag() {
    assertThatThrownBy(() -> d.withBatching(0, Duration.ZERO, 64))
        .hasMessage("serving.max-batch must be in [1, 256], was 0 (set --max-batch)");
    assertThatThrownBy(() -> d.withBatching(8, Duration.ofSeconds(2), 64))
        .hasMessage("serving.batch-linger must be in [0, 1000] ms, was 2000 ms (set --batch-linger-ms)");
    assertThatThrownBy(() -> d.withInferenceWorkers(65))
        .hasMessage("serving.inference-workers must be in [1, 64], was 65 (set --inference-workers)");
    assertThatThrownBy(() -> d.withMaxBodyBytes(10))
        .hasMessage("serving.max-body-bytes must be in [1024, 67108864], was 10 (set --max-body-bytes)");
    assertThatThrownBy(() -> d.withAddress("127.0.0.1", 70000))
        .hasMessage("serving.port must be in [0, 65535], was 70000 (set --port)");
    assertThatThrownBy(() -> d.withTokens("short", null)).hasMessageContaining("serving.api-token")
        .hasMessageContaining("STREAMFIT_API_TOKEN");
    assertThatThrownBy(() -> d.withModelName(" ")).hasMessageContaining("serving.model-name");
  }
}
