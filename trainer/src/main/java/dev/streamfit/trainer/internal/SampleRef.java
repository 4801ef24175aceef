package dev.streamfit.trainer.internal;

/**
 * Where a sample lives on the trainer's input topic: what a checkpoint keeps instead of the sample's pixels, to be
 * re-read on restart. Immutable. Text form {@code topic:partition@offset} (topic names have no ':' or '@').
 *
 * @param topic Kafka topic
 * @param partition partition, ≥ 0
 * @param offset offset in the partition, ≥ 0
 */
public record SampleRef(String topic, int partition, long offset) implements Comparable<SampleRef> {
  public SampleRef {
    if (topic == null || topic.isEmpty() || partition < 0 || offset < 0) {
      throw new IllegalArgumentException("bad sample reference " + topic + ":" + partition + "@" + offset);
    }
  }

  /** Parses {@link #toString()}. */
  public static SampleRef parse(String s) {
    int at = s.lastIndexOf('@');
    int colon = s.lastIndexOf(':', at);
    if (at < 0 || colon < 0) {
      throw new IllegalArgumentException("not a sample reference (topic:partition@offset): " + s);
    }
    return new SampleRef(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1, at)),
        Long.parseLong(s.substring(at + 1)));
  }

  /** Offset-map key of the partition, {@code topic:partition}. */
  public String partitionKey() {
    return topic + ":" + partition;
  }

  @Override
  public int compareTo(SampleRef o) {
    int c = topic.compareTo(o.topic);
    c = c != 0 ? c : Integer.compare(partition, o.partition);
    return c != 0 ? c : Long.compare(offset, o.offset);
  }

  @Override
  public String toString() {
    return topic + ":" + partition + "@" + offset;
  }
}
