package dev.streamfit.trainer.internal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer's meters, tagged {@code model}: {@code streamfit.trainer.steps}, {@code .samples},
 * {@code .version}, {@code .val.accuracy}, {@code .champion.val.accuracy} (on the current window),
 * {@code .drift.labels} (labels in drift at the last evaluation) and, per label, {@code streamfit.trainer.drift}
 * (the champion's accuracy drop on the recent window below its accuracy when published, when above the drift
 * threshold; 0 otherwise). Where the training thread's time goes: {@code streamfit.trainer.loop} timers tagged
 * {@code phase} ({@code poll}: waiting for records, {@code decode}, {@code train}: minibatch steps, {@code snapshot}:
 * draining and copying weights for the evaluator or a checkpoint), and {@code streamfit.trainer.evaluation} (each
 * evaluation with its checkpoint, on the evaluator thread, beside training). Thread-safe.
 */
public final class TrainerGauges {
  private final MeterRegistry registry;
  private final String model;
  private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> drift = new ConcurrentHashMap<>();

  public TrainerGauges(MeterRegistry registry, String model) {
    this.registry = registry;
    this.model = model;
  }

  /** What each of {@link #update}'s gauges is, as its HELP text says. */
  private static final Map<String, String> HELP = Map.of(
      "streamfit.trainer.steps", "Minibatch steps trained",
      "streamfit.trainer.samples", "Samples trained (replays included)",
      "streamfit.trainer.version", "Version the trainer last published (-1 before one)",
      "streamfit.trainer.val.accuracy", "Validation accuracy of the last evaluation",
      "streamfit.trainer.champion.val.accuracy", "Validation accuracy of the published champion on the current window",
      "streamfit.trainer.drift.labels", "Labels in drift at the last evaluation");

  /** After an evaluation: its verdict, the progress it judged, and the version now served. */
  public void update(Judge.Verdict v, TrainerState.Progress progress, long version) {
    set("streamfit.trainer.steps", progress.step());
    set("streamfit.trainer.samples", progress.samplesTrained());
    set("streamfit.trainer.version", version);
    set("streamfit.trainer.val.accuracy", v.metrics().getOrDefault("val.accuracy", Double.NaN));
    set("streamfit.trainer.champion.val.accuracy", v.championAccuracy());
    set("streamfit.trainer.drift.labels", v.drift().size());
    drift.values().forEach(a -> a.set(Double.doubleToLongBits(0)));
    for (Drift.Drop d : v.drift()) {
      drift.computeIfAbsent(d.label(), label -> {
        AtomicLong a = new AtomicLong(Double.doubleToLongBits(0));
        Gauge.builder("streamfit.trainer.drift", a, x -> Double.longBitsToDouble(x.get()))
            .description("Accuracy drop of the served version on the label's recent validation samples")
            .tags("model", model, "label", label).register(registry);
        return a;
      }).set(Double.doubleToLongBits(d.reference() - d.recent()));
    }
  }

  /** Adds {@code nanos} of the training thread's time to {@code phase}. */
  public void phase(String phase, long nanos) {
    Timer.builder("streamfit.trainer.loop").tags("model", model, "phase", phase)
        .description("Training thread's time by phase (poll, decode, train, snapshot)")
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** An evaluation (with its checkpoint) that took {@code nanos} on the evaluator thread. */
  public void evaluation(long nanos) {
    Timer.builder("streamfit.trainer.evaluation").tags("model", model)
        .description("Evaluations with their checkpoints, on the evaluator thread")
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  private void set(String name, double value) {
    values.computeIfAbsent(name, n -> {
      AtomicLong a = new AtomicLong(Double.doubleToLongBits(Double.NaN));
      Gauge.builder(n, a, x -> Double.longBitsToDouble(x.get())).tags("model", model).description(HELP.get(n))
          .register(registry);
      return a;
    }).set(Double.doubleToLongBits(value));
  }
}
