// The strategy's steps in order, the current one highlighted.
import type { ReactNode } from "react";
import type { TimelineStep } from "../../model/steps.js";

export function StepTimeline({ steps }: { steps: TimelineStep[] }): ReactNode {
  return (
    <ol className="timeline" aria-label="Steps">
      {steps.map((step, i) => (
        <li key={i} className={`step ${step.state}`} aria-current={step.state === "current" ? "step" : undefined}>
          <span className="step-number" aria-hidden="true">
            {step.state === "done" ? "✓" : i + 1}
          </span>
          <span className="step-label">{step.label}</span>
        </li>
      ))}
    </ol>
  );
}
