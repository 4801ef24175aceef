package dev.streamfit.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.Topics;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.trainer.internal.Checkpoint;
import dev.streamfit.trainer.internal.SampleRef;
import dev.streamfit.trainer.internal.TrainerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir
  Path dir;

  static Checkpoint checkpoint(long step) {
    var progress = new TrainerState.Progress(step, step * 16, 2, true, List.of("hat", "cap"),
        Map.of("images.augmented:0", 0L), Map.of("images.augmented:0", step * 16, "images.augmented:1", 7L),
        List.of("h"), List.of(new SampleRef("images.augmented", 1, 3)), List.of(), List.of(), List.of());
    var judgement = new TrainerState.Judgement(step / 10, 2, step * 8, 0.75, 0, false, Map.of(), null,
        List.of(new EvalPoint(10, 0, "epoch_end", 0.005, 1.2, 0.6, 1.1, 0.65, Double.NaN, 1),
            new EvalPoint(20, 1, "idle", 0.0025, 0.9, 0.7, 0.95, 0.7, 0.68, 0)));
    return new Checkpoint(new TrainerState(progress, judgement), new byte[] {1, 2, 3, (byte) step}, new byte[] {9});
  }

  @Test
  void roundTripsEveryField() throws IOException {
    Path p = checkpoint(25).write(dir, 3, false);
    Checkpoint c = Checkpoint.read(p);
    assertThat(c.step()).isEqualTo(25);
    assertThat(c.samplesTrained()).isEqualTo(400);
    assertThat(c.state()).isEqualTo(checkpoint(25).state());
    assertThat(c.nextOffsets()).containsEntry("images.augmented:0", 400L).containsEntry("images.augmented:1", 7L);
    assertThat(c.model()).containsExactly(1, 2, 3, 25);
    assertThat(c.champion()).containsExactly(9);
    assertThat(c.history()).isEqualTo(checkpoint(25).history());
  }

  @Test
  void theBestCopyIsKeptApartAndNeverResumedFrom() throws IOException {
    checkpoint(1).write(dir, 2, true);
    for (long s = 2; s <= 4; s++) {
      checkpoint(s).write(dir, 2, false);
    }
    assertThat(Checkpoint.read(dir.resolve(Checkpoint.BEST)).step()).isEqualTo(1);
    assertThat(Checkpoint.list(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly("ckpt-000000000003.zip", "ckpt-000000000004.zip");
    assertThat(Checkpoint.newestValid(dir, (p, w) -> { }).orElseThrow().checkpoint().step()).isEqualTo(4);
  }

  @Test
  void keepsTheNewestAndOnlyTheOwnerDeletesStaleTempFiles() throws IOException {
    for (long s = 1; s <= 5; s++) {
      checkpoint(s).write(dir, 3, false);
    }
    Files.writeString(dir.resolve("ckpt-000000000006.zip.tmp"), "being written (or half-written by a crash)");
    assertThat(Checkpoint.list(dir)).extracting(p -> p.getFileName().toString())
        .containsExactly("ckpt-000000000003.zip", "ckpt-000000000004.zip", "ckpt-000000000005.zip");
    assertThat(Checkpoint.newestValid(dir, (p, w) -> { }).orElseThrow().checkpoint().step()).isEqualTo(5);
    assertThat(dir.resolve("ckpt-000000000006.zip.tmp")).as("a reader leaves a write in progress alone").exists();
    Checkpoint.deleteStaleTemps(dir);
    try (var files = Files.list(dir)) {
      assertThat(files.filter(f -> f.toString().endsWith(".tmp"))).isEmpty();
    }
  }

  @Test
  void aTruncatedCheckpointIsRefused() throws IOException {
    Path p = checkpoint(3).write(dir, 3, false);
    byte[] b = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(b, b.length / 2));
    assertThatThrownBy(() -> Checkpoint.read(p)).isInstanceOf(IOException.class);
  }

  @Test
  void aFlippedByteAnywhereMakesTheNewestCheckpointFallBackToThePreviousOne() throws IOException {
    Path older = checkpoint(10).write(dir, 5, false);
    Path newest = checkpoint(20).write(dir, 5, false);
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
    TrainerConfig d = TrainerConfig.defaults("x:1", Topics.defaults(), dir, "clothing", dev.streamfit.testkit.TestImages.CLOTHING_LABELS);
    assertThatThrownBy(() -> d.withBatchSize(0)).hasMessage("trainer.batch-size must be in [1, 512], was 0 (set --batch-size)");
    assertThatThrownBy(() -> TrainingSpec.adam(HeadSpec.SOFTMAX, 2)).hasMessage(
        "trainer.learning-rate must be in (0, 1], was 2.0 (set --learning-rate)");
    assertThatThrownBy(() -> d.withTraining(new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 0.01, 0.9, 20,
        0.001, List.of()))).hasMessage("trainer.fine-tune-blocks must be in [0, 17] for mobilenetv2-0.35, was 20 (set --fine-tune-blocks)");
    assertThatThrownBy(() -> new TrainerPolicy(3000, 0, 0, 0, 0, 0, 0)).hasMessage(
        "trainer.keep-checkpoints must be in [1, 100], was 0 (set --keep-checkpoints)");
    assertThatThrownBy(() -> new LrSchedule(LrSchedule.Kind.COSINE, 0, 1, 0)).hasMessage(
        "trainer.lr-schedule-steps must be >= 1, was 0 (set --lr-schedule-steps)");
    assertThat(d.asMap()).containsEntry("base", "mobilenetv2-0.35").containsEntry("batch-size", "16");
  }
}
