/*
 * chain.c: a known call chain, for exact tracebacks with source lines.
 *   main -> build_index -> node_new -> malloc(44)    INDEX_SIZE times
 *   main -> name_table -> strdup_upper -> malloc(n)   once per name
 * Built as a WASI command; the test asserts every frame (file, line, function).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_SIZE 100

struct node {
  struct node *next;
  int key;
  char payload[36];
};

__attribute__((noinline)) struct node *node_new(int key, struct node *next) {
  struct node *n = malloc(sizeof *n);
  n->key = key;
  n->next = next;
  return n;
}

__attribute__((noinline)) struct node *build_index(int count) {
  struct node *head = NULL;
  for (int i = 0; i < count; i++)
    head = node_new(i, head);
  return head;
}

__attribute__((noinline)) char *strdup_upper(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  for (size_t i = 0; i < n; i++) copy[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
  return copy;
}

__attribute__((noinline)) char **name_table(void) {
  static const char *names[] = {"alpha", "beta", "gamma"};
  static char *table[3];
  for (int i = 0; i < 3; i++) table[i] = strdup_upper(names[i]);
  return table;
}

int main(void) {
  struct node *index = build_index(INDEX_SIZE);
  char **names = name_table();
  printf("index head %d, first name %s\n", index->key, names[0]);
  return 0;
}
