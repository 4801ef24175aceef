package dev.streamfit.common.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.regex.Pattern;

/**
 * The one way a stage makes the registry it serves at {@code GET /metrics}, so that every family it exposes passes
 * Prometheus' own linter ({@code promtool check metrics}). streamfit's meters are named by Prometheus' rules where
 * they are made; the Kafka clients' metrics (bound by Micrometer's Kafka binders) are brought to them here:
 * <ul>
 *   <li>a metric whose name carries an abbreviated unit ({@code io-time-ns-total}, {@code start-time-ms}) is left
 *       out: its value is in that unit, so it can be neither renamed to a base unit nor kept under its name;
 *   <li>a gauge named {@code …-count} (Kafka's {@code connection-count}) is exported as {@code …connections}:
 *       {@code _count} is the suffix of a histogram's or summary's sample count;
 *   <li>a metric Kafka gives no description gets one that names it.
 * </ul>
 */
public final class PrometheusRegistry {
  /** An abbreviated unit as one part of a dotted Kafka meter name. */
  private static final Pattern UNIT_ABBREVIATION = Pattern.compile("(^|\\.)(ns|us|ms)(\\.|$)");

  private PrometheusRegistry() {}

  /** A new registry with the Kafka client metrics' naming filter; thread-safe, as Micrometer's are. */
  public static PrometheusMeterRegistry create() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    r.config().meterFilter(MeterFilter.deny(id -> isKafka(id) && UNIT_ABBREVIATION.matcher(id.getName()).find()))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return isKafka(id) ? kafkaId(id) : id;
          }
        });
    return r;
  }

  private static boolean isKafka(Meter.Id id) {
    return id.getName().startsWith("kafka.");
  }

  private static Meter.Id kafkaId(Meter.Id id) {
    String name = id.getName();
    if (id.getType() == Meter.Type.GAUGE && name.endsWith(".connection.count")) {
      name = name.substring(0, name.length() - ".connection.count".length()) + ".connections";
    }
    String description = id.getDescription() == null || id.getDescription().isBlank()
        ? "Kafka client metric " + id.getName() + " (Kafka gives it no description)" : id.getDescription();
    return new Meter.Id(name, Tags.of(id.getTagsAsIterable()), id.getBaseUnit(),
        description, id.getType());
  }
}
