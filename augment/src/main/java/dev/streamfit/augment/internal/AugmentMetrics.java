package dev.streamfit.augment.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The augment stage's meters for one pass, in a caller-given {@link MeterRegistry}:
 * {@code streamfit.augment.records.in}, {@code streamfit.augment.samples.out} (by split),
 * {@code streamfit.augment.rejections} (by reason) and the timer {@code streamfit.augment.op} (by op:
 * decode, geometry, colour, encode). Thread-safe (Micrometer meters are).
 */
public final class AugmentMetrics {
  private final MeterRegistry registry;
  private final String pass;
  private final Counter in;
  private final Timer decode;
  private final Timer geometry;
  private final Timer colour;
  private final Timer encode;

  public AugmentMetrics(MeterRegistry registry, int pass) {
    this.registry = registry;
    this.pass = String.valueOf(pass);
    this.in = Counter.builder("streamfit.augment.records.in").description("raw records read").tag("pass", this.pass)
        .register(registry);
    this.decode = timer("decode");
    this.geometry = timer("geometry");
    this.colour = timer("colour");
    this.encode = timer("encode");
  }

  private Timer timer(String op) {
    return Timer.builder("streamfit.augment.op").description("time per op and image").tag("pass", pass).tag("op", op)
        .register(registry);
  }

  void recordIn() {
    in.increment();
  }

  void recordOut(String split) {
    Counter.builder("streamfit.augment.samples.out").description("samples written").tag("pass", pass).tag("split", split)
        .register(registry).increment();
  }

  void recordRejection(String reason) {
    Counter.builder("streamfit.augment.rejections").description("records rejected").tag("pass", pass).tag("reason", reason)
        .register(registry).increment();
  }

  void decodeNanos(long nanos) {
    decode.record(nanos, TimeUnit.NANOSECONDS);
  }

  void geometryNanos(long nanos) {
    geometry.record(nanos, TimeUnit.NANOSECONDS);
  }

  void colourNanos(long nanos) {
    colour.record(nanos, TimeUnit.NANOSECONDS);
  }

  void encodeNanos(long nanos) {
    encode.record(nanos, TimeUnit.NANOSECONDS);
  }
}
