/**
 * Metrics every stage shares: the Prometheus registry each one serves at {@code GET /metrics}, made so that what it
 * exposes (streamfit's meters and the Kafka clients') passes {@code promtool check metrics}.
 */
package dev.streamfit.common.metrics;
