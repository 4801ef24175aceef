package dev.streamfit.trainer.internal;

import dev.streamfit.schemas.LabelSet;
import dev.streamfit.schemas.Labels;
import dev.streamfit.schemas.RejectReason;

/**
 * What the trainer does with a sample's label: train on a known class, add a new class (when the label set may
 * grow), or refuse the sample with a reason. A pure decision, no I/O.
 */
public sealed interface LabelAdmission {
  /** A class the model has: output {@code index}. */
  record Known(int index) implements LabelAdmission {}

  /** A new class: the model's head must grow to {@code labels}; the label is the last one. */
  record Added(LabelSet labels) implements LabelAdmission {}

  /** Not trainable: {@code reason} and a message that says why and what to do. */
  record Refused(RejectReason reason, String message) implements LabelAdmission {}

  /**
   * The admission of {@code label} (null: no label) into {@code labels}; with {@code grow} an unseen label that
   * follows the label rule, differs from every known one even ignoring case and fits under
   * {@link LabelSet#MAX_CLASSES} is added.
   */
  static LabelAdmission of(LabelSet labels, boolean grow, String label) {
    int index = label == null ? -1 : labels.indexOf(label);
    if (index >= 0) {
      return new Known(index);
    }
    if (label == null) {
      return new Refused(RejectReason.UNKNOWN_LABEL, "a train/validation/test sample without a label");
    }
    if (!grow) {
      return new Refused(RejectReason.UNKNOWN_LABEL, "label '" + label + "' is not one of the model's " + labels.size()
          + " labels " + shortList(labels) + " (start the trainer with --grow-labels to add new labels as they come)");
    }
    try {
      return new Added(labels.plus(label, "new label"));
    } catch (IllegalArgumentException e) {
      RejectReason reason = Labels.problem(label) != null ? RejectReason.INVALID_LABEL
          : RejectReason.UNKNOWN_LABEL;
      return new Refused(reason, e.getMessage() + " (not added to the model's " + labels.size() + " labels)");
    }
  }

  private static String shortList(LabelSet labels) {
    return labels.size() <= 20 ? labels.labels().toString()
        : labels.labels().subList(0, 20).toString().replace("]", ", …]");
  }
}
