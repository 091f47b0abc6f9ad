// A visitor's lesson progress, kept in this browser under "archlab.lessons" until they sign up
// and their profile page saves it to their account (POST /api/v1/lessons/progress):
//   {"<lesson id>": {"current": "<step id>",
//                    "steps": {"<step id>": {"topology": {...}, "attempts": ["<uuid>", ...],
//                                            "passed": bool, "best": {...}, "passedTopology": {...}}}}}
// `topology` is the step's work in progress (or the design last submitted), `best` the best grade
// summary (as the server's progress.best has it, with the comparison), `passedTopology` the
// design that passed the step (a step that starts from the previous one opens with it).
// localStorage can be full or switched off; then the progress lives as long as the page does.

export const LESSONS_KEY = "archlab.lessons";
const MAX_ATTEMPTS = 200; // per step: the server claims at most 500 ids a request

let memory = null; // the progress when storage failed: this page keeps it, the next one will not

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

export function readLessons() {
  if (memory) return memory;
  try {
    const stored = JSON.parse(localStorage.getItem(LESSONS_KEY));
    return isObject(stored) ? stored : {};
  } catch {
    return {};
  }
}

function write(lessons) {
  try {
    localStorage.setItem(LESSONS_KEY, JSON.stringify(lessons));
    memory = null;
  } catch {
    memory = lessons; // storage full or disabled: keep working without it
  }
}

// Change one step of one lesson (creating both as needed) and store the result.
function change(lessonId, stepId, edit) {
  const lessons = readLessons();
  const lesson = isObject(lessons[lessonId]) ? lessons[lessonId] : {};
  const steps = isObject(lesson.steps) ? lesson.steps : {};
  if (stepId !== null) {
    const step = isObject(steps[stepId]) ? steps[stepId] : {};
    edit(step, lesson);
    steps[stepId] = step;
  } else {
    edit(null, lesson);
  }
  lessons[lessonId] = { ...lesson, steps };
  write(lessons);
}

export function lessonProgress(lessonId) {
  const lesson = readLessons()[lessonId];
  return isObject(lesson) ? { current: lesson.current, steps: isObject(lesson.steps) ? lesson.steps : {} } : null;
}

export function recordAttempt(lessonId, stepId, attemptId, topology) {
  change(lessonId, stepId, (step) => {
    const attempts = Array.isArray(step.attempts) ? step.attempts.filter((id) => id !== attemptId) : [];
    step.attempts = [...attempts, attemptId].slice(-MAX_ATTEMPTS);
    if (isObject(topology)) step.topology = topology;
    if (typeof step.passed !== "boolean") step.passed = false;
  });
}

// The grade's summary as the server keeps a step's best attempt.
function summary(attemptId, grade) {
  const goals = Array.isArray(grade.goals) ? grade.goals : [];
  return {
    attempt: attemptId, passed: Boolean(grade.passed), goals: goals.length,
    goals_passed: goals.filter((g) => g.passed).length,
    measured: Object.fromEntries(goals.map((g) => [g.goal, (g.measured || []).map((m) => m.value)])),
    comparison: grade.comparison || null,
  };
}

const better = (a, b) => !b || a.passed > Boolean(b.passed) || (a.passed === Boolean(b.passed) && a.goals_passed >= (b.goals_passed || 0));

// Moving on to the next step is the page's decision (setCurrent), not this function's.
export function recordGrade(lessonId, stepId, attemptId, grade, topology) {
  if (!isObject(grade)) return;
  change(lessonId, stepId, (step) => {
    const mine = summary(attemptId, grade);
    if (better(mine, isObject(step.best) ? step.best : null)) step.best = mine;
    step.passed = Boolean(step.passed) || mine.passed;
    if (mine.passed && isObject(topology)) step.passedTopology = topology;
    const attempts = Array.isArray(step.attempts) ? step.attempts : [];
    if (!attempts.includes(attemptId)) step.attempts = [...attempts, attemptId].slice(-MAX_ATTEMPTS);
  });
}

export function setCurrent(lessonId, stepId) {
  change(lessonId, null, (_, lesson) => { lesson.current = stepId; });
}

export function keepTopology(lessonId, stepId, topology) {
  change(lessonId, stepId, (step) => { step.topology = topology; });
}

export function allAttemptIds() {
  const ids = [];
  for (const lesson of Object.values(readLessons())) {
    for (const step of Object.values(isObject(lesson) && isObject(lesson.steps) ? lesson.steps : {})) {
      if (isObject(step) && Array.isArray(step.attempts)) ids.push(...step.attempts.filter((id) => typeof id === "string"));
    }
  }
  return [...new Set(ids)];
}

// Once the account holds the attempts (or they were someone else's), only each step's work in
// progress stays in the browser: the account's progress is the one shown from now on.
export function forgetClaimed() {
  const lessons = readLessons();
  for (const [lessonId, lesson] of Object.entries(lessons)) {
    const steps = {};
    for (const [stepId, step] of Object.entries(isObject(lesson) && isObject(lesson.steps) ? lesson.steps : {})) {
      if (isObject(step) && isObject(step.topology)) steps[stepId] = { topology: step.topology };
    }
    if (Object.keys(steps).length) lessons[lessonId] = { steps };
    else delete lessons[lessonId];
  }
  write(lessons);
}
