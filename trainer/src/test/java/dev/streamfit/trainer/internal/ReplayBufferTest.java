package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.Split;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The rehearsal memory stays bounded per class, samples the stream uniformly, and draws classes evenly. */
class ReplayBufferTest {
  static AugmentedSample sample(String id, String label) {
    return AugmentedSample.newBuilder().setSourceId(id).setEpoch(0).setVariant(0).setLabel(label).setSplit(Split.TRAIN)
        .setHeight(1).setWidth(1).setChannels(3).setPixels(ByteBuffer.wrap(new byte[3]))
        .setAugmentation(AugmentationParams.newBuilder().setSeed(0).setApplied(true).setSpecHash("h").build()).build();
  }

  @Test
  void boundedPerClassAndUniformOverTheStream() {
    SplittableRandom rng = new SplittableRandom(1);
    int[] keptFromFirstHalf = new int[1];
    int trials = 200;
    for (int t = 0; t < trials; t++) {
      ReplayBuffer<AugmentedSample> b = new ReplayBuffer<>(10);
      for (int i = 0; i < 1000; i++) {
        b.offer(sample("a" + i, "a"), 0, rng);
      }
      assertThat(b.size()).isEqualTo(10);
      keptFromFirstHalf[0] += (int) b.all().stream().filter(s -> Integer.parseInt(s.getSourceId().substring(1)) < 500).count();
    }
    // A reservoir keeps the first half as often as the second: 5 of 10 on average (binomial, sd ≈ 0.11 over 200 trials).
    assertThat(keptFromFirstHalf[0] / (double) trials).isBetween(4.5, 5.5);
  }

  @Test
  void drawsClassesEvenlyHoweverSkewedTheStream() {
    SplittableRandom rng = new SplittableRandom(2);
    ReplayBuffer<AugmentedSample> b = new ReplayBuffer<>(50);
    for (int i = 0; i < 5000; i++) {
      b.offer(sample("c" + i, "common"), 0, rng);
    }
    for (int i = 0; i < 5; i++) {
      b.offer(sample("r" + i, "rare"), 2, rng);
    }
    assertThat(b.sizes()).containsExactly(50, 0, 5);
    Map<String, Integer> drawn = new HashMap<>();
    for (AugmentedSample s : b.draw(2000, rng)) {
      drawn.merge(s.getLabel(), 1, Integer::sum);
    }
    assertThat(drawn.keySet()).containsExactlyInAnyOrder("common", "rare");
    assertThat(drawn.get("rare")).isBetween(900, 1100);
    assertThat(new ReplayBuffer<AugmentedSample>(3).draw(5, rng)).isEmpty();
  }

  @Test
  void topsAMinibatchUpWithTheClassesItLacks() {
    SplittableRandom rng = new SplittableRandom(4);
    ReplayBuffer<AugmentedSample> b = new ReplayBuffer<>(20);
    for (int k = 0; k < 5; k++) {
      for (int i = 0; i < 20; i++) {
        b.offer(sample("s" + k + "-" + i, "c" + k), k, rng);
      }
    }
    // A minibatch of 8 × class 3 and 8 × class 4 (the new ones): 12 replayed go to classes 0-2, 4 each.
    Map<String, Integer> drawn = new HashMap<>();
    for (AugmentedSample s : b.draw(12, new int[] {0, 0, 0, 8, 8}, rng)) {
      drawn.merge(s.getLabel(), 1, Integer::sum);
    }
    assertThat(drawn).containsOnly(Map.entry("c0", 4), Map.entry("c1", 4), Map.entry("c2", 4));
    // Past balance the slots spread evenly: with 40, every class ends at 11 or 12 (56 over 5).
    int[] total = {0, 0, 0, 8, 8};
    for (AugmentedSample s : b.draw(40, new int[] {0, 0, 0, 8, 8}, rng)) {
      total[Integer.parseInt(s.getLabel().substring(1))]++;
    }
    for (int n : total) {
      assertThat(n).isBetween(11, 12);
    }
  }

  @Test
  void restoresWhatItHeldWithItsCounts() {
    SplittableRandom rng = new SplittableRandom(3);
    ReplayBuffer<AugmentedSample> b = new ReplayBuffer<>(4);
    for (int i = 0; i < 9; i++) {
      b.offer(sample("x" + i, i % 3 == 0 ? "x" : "y"), i % 3 == 0 ? 0 : 1, rng);
    }
    ReplayBuffer<AugmentedSample> back = new ReplayBuffer<>(4);
    List<Long> offered = b.offered();
    for (AugmentedSample s : b.all()) {
      int k = s.getLabel().equals("x") ? 0 : 1;
      back.restore(s, k, offered.get(k));
    }
    assertThat(back.all()).isEqualTo(b.all());
    assertThat(back.offered()).isEqualTo(offered).containsExactly(3L, 6L);
    assertThatThrownBy(() -> new ReplayBuffer<AugmentedSample>(0)).hasMessageContaining("[1, 100000]");
  }
}
