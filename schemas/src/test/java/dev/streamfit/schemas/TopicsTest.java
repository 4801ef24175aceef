package dev.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Prefixed names, and one models topic shared by pipelines with different prefixes. */
class TopicsTest {
  @Test
  void aSharedModelsTopicKeepsTheOtherNamesPrefixed() {
    Topics birds = new Topics("birds-", 2, (short) 1, "models");
    Topics tools = new Topics("tools-", 2, (short) 1, "models");
    assertThat(birds.models()).isEqualTo(tools.models()).isEqualTo("models");
    assertThat(birds.raw()).isEqualTo("birds-images.raw");
    assertThat(tools.augmented()).isEqualTo("tools-images.augmented");
    assertThat(birds.specs()).extracting(TopicSpec::name).contains("models", "birds-training.metrics");
    assertThat(new Topics("x-", 1, (short) 1).models()).isEqualTo("x-models");
    assertThatThrownBy(() -> new Topics("", 1, (short) 1, "models/../x")).hasMessageContaining("--models-topic");
  }
}
