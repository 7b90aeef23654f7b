// Vite turns CSS imports into <link>s in the build.
declare module "*.css";
