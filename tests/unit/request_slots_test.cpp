// The dispatcher's request slots, shared by its claims and the store's writer thread.
#include "delivery/request_slots.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace hookd::delivery {
namespace {

TEST(RequestSlots, AnEndpointGetsNoMoreThanItsShareAndAllNoMoreThanTheTotal) {
  RequestSlots slots(3, 2);
  EXPECT_TRUE(slots.try_take("a"));
  EXPECT_TRUE(slots.try_take("a"));
  EXPECT_FALSE(slots.try_take("a"));  // a's share
  EXPECT_EQ(slots.full_endpoints(), std::vector<std::string>{"a"});
  EXPECT_TRUE(slots.try_take("b"));
  EXPECT_FALSE(slots.try_take("c"));  // the total
  slots.give_back("a");
  EXPECT_TRUE(slots.full_endpoints().empty());
  EXPECT_TRUE(slots.try_take("c"));
  EXPECT_EQ(slots.in_use(), 3u);
}

TEST(RequestSlots, AClaimHoldsSlotsFirstSoDeliveriesHandedMeanwhileCannotOverfillThem) {
  RequestSlots slots(10, 8);
  EXPECT_EQ(slots.hold(8), 8u);
  EXPECT_TRUE(slots.try_take("a"));
  EXPECT_TRUE(slots.try_take("a"));
  EXPECT_FALSE(slots.try_take("b"));  // the claim's 8 and these 2 fill the total
  EXPECT_EQ(slots.hold(5), 0u);
  // The claim took 3 rows, all of a: five held slots come back, and a now has 5 out.
  for (int i = 0; i < 3; ++i) slots.assign("a");
  slots.release_held(5);
  EXPECT_EQ(slots.in_use(), 5u);
  EXPECT_EQ(slots.hold(100), 5u);
  slots.release_held(5);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(slots.try_take("a"));
  EXPECT_FALSE(slots.try_take("a"));  // 8, its share
}

// A slot coming back says whether work waits for it, so that the dispatcher claims then and not before.
TEST(RequestSlots, ASlotComingBackSaysWhetherWorkWaitsForIt) {
  RequestSlots slots(4, 2);
  ASSERT_TRUE(slots.try_take("a"));
  ASSERT_TRUE(slots.try_take("a"));
  EXPECT_FALSE(slots.give_back("a")) << "nothing was refused";
  ASSERT_TRUE(slots.try_take("a"));
  EXPECT_FALSE(slots.try_take("a"));  // refused: a waits
  EXPECT_TRUE(slots.give_back("a"));
  EXPECT_FALSE(slots.give_back("a")) << "said once";
  // Skipped by a claim as full: waits as well.
  ASSERT_TRUE(slots.try_take("b"));
  ASSERT_TRUE(slots.try_take("b"));
  EXPECT_EQ(slots.full_endpoints(), std::vector<std::string>{"b"});
  EXPECT_TRUE(slots.give_back("b"));
  // Refused because every slot was in use (b holds one): the next slot of any endpoint says so.
  ASSERT_TRUE(slots.try_take("c"));
  ASSERT_TRUE(slots.try_take("d"));
  ASSERT_TRUE(slots.try_take("e"));
  EXPECT_FALSE(slots.try_take("f"));
  EXPECT_TRUE(slots.give_back("c"));
  EXPECT_FALSE(slots.give_back("d"));
}

TEST(RequestSlots, TakesAndGiveBacksFromTwoThreadsBalance) {
  RequestSlots slots(64, 64);
  auto churn = [&](const std::string& endpoint) {
    for (int i = 0; i < 10000; ++i)
      if (slots.try_take(endpoint)) slots.give_back(endpoint);
  };
  std::thread writer(churn, "a");
  churn("b");
  writer.join();
  EXPECT_EQ(slots.in_use(), 0u);
  EXPECT_TRUE(slots.full_endpoints().empty());
}

}  // namespace
}  // namespace hookd::delivery
