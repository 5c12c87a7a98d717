"""The answer path: `pipeline.STEPS` over one `context.AnswerContext`, the steps in `steps/`,
and the checks they call, which decide in code what code can decide."""
