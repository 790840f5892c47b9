import { describeStopMatrix } from "./stopMatrix.ts";

// npm start, SIGINT once and twice to its pid and to its process group at each stage of start-up
// (stopMatrix.ts); the other signal has its own file, which runs beside this one.
describeStopMatrix("SIGINT");
