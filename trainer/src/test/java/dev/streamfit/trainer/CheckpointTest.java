package dev.streamfit.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.internal.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir
  Path dir;

  static AugmentedSample sample(String id) {
    return AugmentedSample.newBuilder().setSourceId(id).setEpoch(0).setVariant(0).setLabel("hat")
        .setSplit(Split.VALIDATION).setHeight(2).setWidth(2).setChannels(3).setPixels(ByteBuffer.wrap(new byte[12]))
        .setAugmentation(AugmentationParams.newBuilder().setSeed(1).setApplied(false).build()).build();
  }

  static Checkpoint checkpoint(long step) {
    return new Checkpoint(step, step * 16, step / 10, Map.of("images.augmented:0", 0L),
        Map.of("images.augmented:0", step * 16, "images.augmented:1", 7L), new byte[] {1, 2, 3, (byte) step},
        List.of(sample("a"), sample("b")));
  }

  @Test
  void roundTripsEveryField() throws IOException {
    Path p = checkpoint(25).write(dir, 3);
    Checkpoint c = Checkpoint.read(p);
    assertThat(c.step()).isEqualTo(25);
    assertThat(c.samplesTrained()).isEqualTo(400);
    assertThat(c.version()).isEqualTo(2);
    assertThat(c.originOffsets()).containsEntry("images.augmented:0", 0L);
    assertThat(c.nextOffsets()).containsEntry("images.augmented:0", 400L).containsEntry("images.augmented:1", 7L);
    assertThat(c.model()).containsExactly(1, 2, 3, 25);
    assertThat(c.holdout()).extracting(AugmentedSample::getSourceId).containsExactly("a", "b");
  }

  @Test
  void keepsTheNewestAndDeletesStaleTempFiles() throws IOException {
    Files.writeString(dir.resolve("ckpt-000000000001.zip.tmp"), "half-written");
    for (long s = 1; s <= 5; s++) {
      checkpoint(s).write(dir, 3);
    }
    assertThat(Checkpoint.list(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly("ckpt-000000000003.zip", "ckpt-000000000004.zip", "ckpt-000000000005.zip");
    try (var files = Files.list(dir)) {
      assertThat(files.filter(f -> f.toString().endsWith(".tmp"))).isEmpty();
    }
  }

  @Test
  void aTruncatedCheckpointIsRefused() throws IOException {
    Path p = checkpoint(3).write(dir, 3);
    byte[] b = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(b, b.length / 2));
    assertThatThrownBy(() -> Checkpoint.read(p)).isInstanceOf(IOException.class);
  }

  @Test
  void aFlippedByteAnywhereMakesTheNewestCheckpointFallBackToThePreviousOne() throws IOException {
    Path older = checkpoint(10).write(dir, 5);
    Path newest = checkpoint(20).write(dir, 5);
    byte[] good = Files.readAllBytes(newest);
    int failures = 0;
    for (int pos = 0; pos < good.length; pos += Math.max(1, good.length / 97)) {
      byte[] bad = good.clone();
      bad[pos] ^= 0x40;
      Files.write(newest, bad);
      List<String> reasons = new java.util.ArrayList<>();
      var loaded = Checkpoint.newestValid(dir, (path, why) -> reasons.add(path.getFileName() + ": " + why));
      assertThat(loaded).as("flip at byte %d", pos).isPresent();
      if (loaded.get().path().equals(older)) {
        failures++;
        assertThat(loaded.get().checkpoint().step()).isEqualTo(10);
        assertThat(reasons).singleElement().asString().startsWith(newest.getFileName().toString());
      } else {
        // a flip the zip format ignores (e.g. in a header timestamp) must leave the data intact
        assertThat(loaded.get().checkpoint().model()).containsExactly(1, 2, 3, 20);
        assertThat(loaded.get().checkpoint().nextOffsets()).containsEntry("images.augmented:0", 320L);
      }
    }
    assertThat(failures).as("flips detected").isGreaterThan(50);
    Files.write(newest, good);
    assertThat(Checkpoint.newestValid(dir, (p, w) -> { }).orElseThrow().path()).isEqualTo(newest);
  }

  @Test
  void configValidationNamesKeyBoundValueAndFlag() {
    TrainerConfig d = TrainerConfig.defaults("x:1", Topics.defaults(), dir);
    assertThatThrownBy(() -> d.withBatchSize(0)).hasMessage("trainer.batch-size must be in [1, 512], was 0 (set --batch-size)");
    assertThatThrownBy(() -> d.withLearningRate(2)).hasMessageContaining("trainer.learning-rate must be in (0, 1], was 2.0");
    assertThat(d.asMap()).containsEntry("base", "mobilenetv2-0.35").containsEntry("batch-size", "16");
  }
}
