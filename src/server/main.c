/* placeholder until implemented */
int main (void);
int main (void) { return 1; }
